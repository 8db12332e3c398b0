import { Global, Module } from '@nestjs/common';
import { MetricsRegistry } from '@tftsr/telemetry';
import { ApiMetrics } from './api-metrics.service';
import { MetricsController } from './metrics.controller';
import { MonitoredQueues } from './monitored-queues';

/**
 * GET /metrics and the API's registry. Global: any module may inject MetricsRegistry and add its own metrics
 * (`registry.counter(name, help, labels)` is get-or-create).
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: MetricsRegistry, useFactory: () => new MetricsRegistry() }, MonitoredQueues, ApiMetrics],
  exports: [MetricsRegistry, MonitoredQueues, ApiMetrics],
})
export class MetricsModule {}

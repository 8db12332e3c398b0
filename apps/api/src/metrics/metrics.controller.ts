import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { MetricsRegistry } from '@tftsr/telemetry';
import { RequireScopes } from '../auth/scopes.decorator';

/** Prometheus scrapes the API here with a key of scope metrics (`authorization: credentials_file` in its scrape config). */
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @RequireScopes('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({ summary: 'The API’s metrics in the Prometheus text format (the worker serves its own on TFTSR_WORKER_METRICS_PORT).' })
  // Only the 200 is text; the errors keep the JSON error body.
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}

import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ALL_QUEUE_NAMES, type RedisClient } from '@tftsr/jobs';
import { ApiConfig } from '../config/api.config';
import { JobProducer } from '../queue/job-producer.service';

/**
 * Every queue in libs/jobs ALL_QUEUE_NAMES (the outbox's, and the scanners' `scan`, whose depth says whether more
 * scanner hosts would help), for reading: the metrics count their jobs and the dashboard shows them.
 * They share the producer's fail-fast connection, so a Redis outage answers at once instead of hanging.
 */
@Injectable()
export class MonitoredQueues implements OnApplicationShutdown {
  readonly queues: Queue[];

  constructor(
    private readonly producer: JobProducer,
    config: ApiConfig,
  ) {
    this.queues = ALL_QUEUE_NAMES.map((name) => {
      const queue = new Queue(name, { connection: producer.connection, prefix: config.queuePrefix });
      // The producer's connection logs its own outages; without a listener they would be unhandled 'error' events.
      queue.on('error', () => undefined);
      return queue;
    });
  }

  get connection(): RedisClient {
    return this.producer.connection;
  }

  get ready(): boolean {
    return this.producer.connection.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    // The connection is shared: closing these queues leaves it to the producer.
    await Promise.allSettled(this.queues.map((q) => q.close()));
  }
}

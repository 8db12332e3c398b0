import { Inject, Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Db, DB } from '@tftsr/db';
import { JobPayloads, PingResult } from '@tftsr/jobs';
import { QueueProcessor } from './processor';

@Injectable()
export class SystemProcessor implements QueueProcessor {
  readonly queue = 'system' as const;
  readonly handlers = { ping: (job: Job<JobPayloads['ping']>) => this.handlePing(job) };

  constructor(@Inject(DB) private readonly db: Db) {}

  /** Reads the shared database, so a pong proves Redis, the worker and the database file together. */
  async handlePing(job: Job<JobPayloads['ping']>): Promise<PingResult> {
    const { n } = this.db.prepare('SELECT count(*) AS n FROM _migrations').get() as { n: number };
    return { pong: true, ping_id: job.data.ping_id, worker_pid: process.pid, migrations_applied: n };
  }
}

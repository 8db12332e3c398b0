import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { MigrationRepository } from '../../../libs/db/src';
import { JobPayloads, PingResult } from '../../../libs/jobs/src';
import { QueueProcessor } from './processor';

@Injectable()
export class SystemProcessor implements QueueProcessor {
  readonly queue = 'system' as const;
  readonly handlers = { ping: (job: Job<JobPayloads['ping']>) => this.handlePing(job) };

  constructor(private readonly migrations: MigrationRepository) {}

  /** Reads the shared database, so a pong proves Redis, the worker and the database file together. */
  async handlePing(job: Job<JobPayloads['ping']>): Promise<PingResult> {
    return { pong: true, ping_id: job.data.ping_id, worker_pid: process.pid, migrations_applied: this.migrations.countApplied() };
  }
}

import { Injectable } from '@nestjs/common';
import { newId } from '../../../../libs/db/src';
import { jobIdFor, PingResult } from '../../../../libs/jobs/src';
import { DomainError, ErrorCode } from '../common/domain-error';
import { JobProducer } from '../queue/job-producer.service';
import { PingAcceptedResponse, PingStatusResponse } from './ping.dto';

/** A round trip through Redis and the worker, for operators and for the wiring test. */
@Injectable()
export class PingService {
  constructor(private readonly producer: JobProducer) {}

  async enqueue(): Promise<PingAcceptedResponse> {
    const ping_id = newId();
    const job_id = await this.producer.enqueue('ping', { ping_id });
    return { ping_id, job_id };
  }

  async status(pingId: string): Promise<PingStatusResponse> {
    const job = await this.producer.getJob('ping', jobIdFor('ping', { ping_id: pingId }));
    if (!job) throw new DomainError(ErrorCode.JOB_NOT_FOUND, `no ping ${pingId} is known (it may have expired)`);
    const state = await job.getState();
    return { ping_id: pingId, state, result: (job.returnvalue as PingResult | undefined) ?? null };
  }
}

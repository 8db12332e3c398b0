import { Global, Module } from '@nestjs/common';
import { AbandonedJobs } from './abandoned-job';
import { OutboxRelay } from './outbox-relay.service';

@Global()
@Module({ providers: [OutboxRelay, AbandonedJobs], exports: [OutboxRelay] })
export class OutboxModule {}

import { Global, Module } from '@nestjs/common';
import { createRedisConnection } from '../../../../libs/jobs/src';
import { ApiConfig } from '../config/api.config';
import { JobProducer } from './job-producer.service';

@Global()
@Module({
  providers: [
    {
      provide: JobProducer,
      useFactory: (config: ApiConfig) =>
        new JobProducer(createRedisConnection(config.redis, 'producer'), config.queuePrefix, config.jobRetention),
      inject: [ApiConfig],
    },
  ],
  exports: [JobProducer],
})
export class QueueModule {}

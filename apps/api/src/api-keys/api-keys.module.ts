import { Module } from '@nestjs/common';
import { ApiKeyRepository, Db, DB } from '@tftsr/db';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';

@Module({
  controllers: [ApiKeysController],
  providers: [{ provide: ApiKeyRepository, useFactory: (db: Db) => new ApiKeyRepository(db), inject: [DB] }, ApiKeysService],
})
export class ApiKeysModule {}

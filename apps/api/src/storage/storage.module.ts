import { DynamicModule, Global, Module } from '@nestjs/common';
import { deriveKey } from '../../../../libs/db/src';
import { BlobStore } from '../../../../libs/storage/src';
import { ApiConfig } from '../config/api.config';

/** The encrypted blob store under {data_dir}/blobs, keyed from the database key. */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: BlobStore, useFactory: () => new BlobStore(config.dataDir, deriveKey(config.databaseKey, 'blob-encryption')) }],
      exports: [BlobStore],
    };
  }
}

import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { deriveKey } from '../../../../libs/db/src';
import { BlobStore, openBlobStore, QuotaBlobStore, TempSweeper } from '../../../../libs/storage/src';
import { ApiConfig } from '../config/api.config';

/** Partial uploads a crash left in blobs/tmp go at start and every few minutes; live writes are left alone. */
@Injectable()
export class ApiTempSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sweeper: TempSweeper;

  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {
    this.sweeper = new TempSweeper(blobs, new Logger('TempSweeper'));
  }

  /** A bucket that cannot be reached stops the start here, with its reason, rather than failing the first upload. */
  async onApplicationBootstrap(): Promise<void> {
    await this.blobs.probe();
    return this.sweeper.start();
  }

  onApplicationShutdown(): void {
    this.sweeper.stop();
  }
}

/** The encrypted blob store (under {data_dir}/blobs, or a bucket: TFTSR_BLOB_STORE), keyed from the database key. */
@Global()
@Module({})
export class StorageModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: StorageModule,
      providers: [{ provide: BlobStore, useFactory: () => blobStoreFor(config) }, ApiTempSweeper],
      exports: [BlobStore],
    };
  }
}

/** TFTSR_TEST_DISK_QUOTA_BYTES (test only, refused otherwise by the config check) simulates a small disk. */
function blobStoreFor(config: ApiConfig): BlobStore {
  const key = deriveKey(config.databaseKey, 'blob-encryption');
  const quota = config.NODE_ENV === 'test' ? config.TFTSR_TEST_DISK_QUOTA_BYTES : undefined;
  return quota ? new QuotaBlobStore(config.dataDir, key, quota) : openBlobStore(config.blobStorage, config.dataDir, key);
}

import { FsBlobStore } from './fs-blob-store';
import type { BlobStore } from './blob-store';
import type { S3StoreSettings } from './s3-blob-store';
import { S3BlobStore } from './s3-blob-store';

export type BlobStoreChoice = { kind: 'filesystem' } | { kind: 's3'; s3: S3StoreSettings };

/** The configured store (`config.blobStorage`); `wrapKey` is the HKDF `blob-encryption` key. */
export function openBlobStore(choice: BlobStoreChoice, dataDir: string, wrapKey: Buffer): BlobStore {
  return choice.kind === 's3' ? new S3BlobStore(choice.s3, wrapKey) : new FsBlobStore(dataDir, wrapKey);
}

/** Releases what a store holds open (an S3 client's sockets), so a command-line run can exit. */
export function closeBlobStore(store: BlobStore): void {
  if (store instanceof S3BlobStore) store.destroy();
}

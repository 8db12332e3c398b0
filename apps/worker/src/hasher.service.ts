import { createHash } from 'node:crypto';
import type { BlobStore } from '@tftsr/storage';

export interface HashResult {
  sha256: string;
  size: number;
}

/**
 * SHA-256 of a stored file's original content, streamed and decrypted on the calling thread; memory stays flat.
 * The worker's jobs hash through PiiScanService (the scan's single read, or a hash-only read on a thread for a
 * large file): this is the same loop, kept for the `hash-blob` bench row.
 */
export class HasherService {
  constructor(private readonly blobs: BlobStore) {}

  async hashBlob(path: string): Promise<HashResult> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of this.blobs.openRead(path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }
}

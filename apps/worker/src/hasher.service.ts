import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { BlobStore } from '@tftsr/storage';

export interface HashResult {
  sha256: string;
  size: number;
}

/** SHA-256 of a stored file's original content, streamed and decrypted; memory stays flat. */
@Injectable()
export class HasherService {
  constructor(@Inject(BlobStore) private readonly blobs: BlobStore) {}

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

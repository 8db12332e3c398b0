import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import type { StoredBlob } from './blob-store';
import { FsBlobStore } from './fs-blob-store';

/**
 * Test only (TFTSR_TEST_DISK_QUOTA_BYTES, refused unless NODE_ENV=test): the disk-full test's stand-in where the
 * machine cannot mount a small filesystem. Writes fail with a real-looking ENOSPC once the blob store would hold
 * more than `quotaBytes`, so the upload path under test is the one a full disk takes. Unlike a real full disk,
 * the database itself never runs out of space.
 */
export class QuotaBlobStore extends FsBlobStore {
  constructor(
    private readonly blobDataDir: string,
    wrapKey: Buffer,
    private readonly quotaBytes: number,
  ) {
    super(blobDataDir, wrapKey);
  }

  override async write(source: Readable | AsyncIterable<Buffer>, transforms: Transform[] = []): Promise<StoredBlob> {
    let left = this.quotaBytes - (await usedBytes(join(this.blobDataDir, 'blobs')));
    const quota = new Transform({
      transform(chunk: Buffer, _e, done) {
        left -= chunk.length;
        if (left < 0)
          return done(Object.assign(new Error('ENOSPC: no space left on device, write (test quota)'), { code: 'ENOSPC', errno: -28 }));
        done(null, chunk);
      },
    });
    return super.write(source, [...transforms, quota]);
  }
}

async function usedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await usedBytes(path) : (await stat(path).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

import type { Job } from 'bullmq';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Db } from '@tftsr/db';
import { deriveKey, LogFileProcessingRepository, newId, openAndMigrate, OutboxRepository, toDbTimestamp, transaction } from '@tftsr/db';
import { closeBlobStore, FsBlobStore } from '@tftsr/storage';
import type { BlobStore } from '@tftsr/storage';
import type { IngestProcessor } from '@tftsr/worker/ingest.processor';
import type { RemoteScanner } from '@tftsr/worker/scanner/remote-scanner';
import { makeTempDir, TEST_KEY } from './temp-dir';
import { ingestProcessorFor } from './worker-parts';
import type { IngestProcessorOptions } from './worker-parts';

const quiet = { log: () => undefined, warn: () => undefined };

/** A plain object in place of a BullMQ job: the handlers read only these fields. `delayedUntil` records a deferral. */
export function jobOf<T>(data: T, attemptsMade = 0, name = 'test'): Job<T, unknown, never> & { delayedUntil?: number } {
  const job = {
    name,
    data,
    attemptsMade,
    opts: { attempts: 5 },
    token: 'test-token',
    updateProgress: async () => undefined,
    moveToDelayed: async (timestamp: number) => {
      job.delayedUntil = timestamp;
    },
    delayedUntil: undefined as number | undefined,
  };
  return job as unknown as Job<T, unknown, never> & { delayedUntil?: number };
}

export interface UploadedFile {
  fileId: string;
  path: string;
  hash: { outbox_id: string; log_file_id: string };
  scan: { outbox_id: string; log_file_id: string };
}

/** Which blob store a rig uses (the filesystem unless told), and where a blob's stored bytes lie on this disk. */
export interface RigStore {
  open(dataDir: string, wrapKey: Buffer): BlobStore;
  rawFile(dataDir: string, path: string): string;
}

export const FILESYSTEM_STORE: RigStore = { open: (dir, key) => new FsBlobStore(dir, key), rawFile: (dir, path) => join(dir, path) };

/**
 * The worker's ingest handlers over a real temporary encrypted database and blob store, with files written as
 * the upload route writes them (row, processing state, outbox rows). BullMQ is not involved: test/e2e runs it.
 */
export class IngestRig {
  readonly temp = makeTempDir();
  readonly db: Db = openAndMigrate({ path: join(this.temp.dir, 'tftsr.db'), key: TEST_KEY }, quiet);
  readonly blobs: BlobStore;
  readonly sut: IngestProcessor;

  /**
   * `remote`: the writer's side of the scan queue over this rig's store (role writer's redacted copies).
   * `options(db)`: the processor's group commit and settings, when a test needs its own.
   */
  constructor(
    private readonly store: RigStore = FILESYSTEM_STORE,
    remote?: (blobs: BlobStore) => RemoteScanner,
    options?: (db: Db) => IngestProcessorOptions,
  ) {
    this.blobs = store.open(this.temp.dir, deriveKey(TEST_KEY, 'blob-encryption'));
    this.sut = ingestProcessorFor(this.db, this.blobs, TEST_KEY, remote?.(this.blobs), options?.(this.db));
  }

  /** The file holding a blob's stored bytes, to damage it as a disk would. */
  rawFile(path: string): string {
    return this.store.rawFile(this.temp.dir, path);
  }

  async upload(content: string): Promise<UploadedFile> {
    const stored = await this.blobs.write(Readable.from([Buffer.from(content)]));
    const outbox = new OutboxRepository(this.db);
    const now = toDbTimestamp();
    return transaction(this.db, () => {
      const issueId = newId();
      const fileId = newId();
      this.db
        .prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 't', 'high', 'open', ?, ?)`)
        .run(issueId, now, now);
      this.db
        .prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, uploaded_at) VALUES (?, ?, 'app.log', ?, ?, ?)`)
        .run(fileId, issueId, stored.path, stored.size, now);
      new LogFileProcessingRepository(this.db).create(fileId);
      const hash = outbox.add('hash', (id) => ({ outbox_id: id, log_file_id: fileId }));
      const scan = outbox.add('detect_pii', (id) => ({ outbox_id: id, log_file_id: fileId }));
      return {
        fileId,
        path: stored.path,
        hash: { outbox_id: hash.id, log_file_id: fileId },
        scan: { outbox_id: scan.id, log_file_id: fileId },
      };
    });
  }

  count(sql: string, ...args: unknown[]): number {
    return (this.db.prepare(sql).get(...args) as { n: number }).n;
  }

  close(): void {
    closeBlobStore(this.blobs);
    this.db.close();
    this.temp.remove();
  }
}

import type { Readable, Transform } from 'node:stream';

export interface StoredBlob {
  /** e.g. `blobs/3f/0190….blob`: what `file_path` columns hold, the same whichever store holds the bytes. */
  path: string;
  /** Plaintext bytes written. */
  size: number;
}

/** A stored blob as the store holds it (ciphertext), for backups, orphan sweeps and verification. */
export interface StoredObject {
  path: string;
  /** Stored (ciphertext) bytes. */
  size: number;
  modifiedMs: number;
}

/** A store that cannot be reached or refused a write: the bytes were not stored, whatever the client sent. */
export class BlobStoreUnavailableError extends Error {
  readonly code = 'BLOB_STORE_UNAVAILABLE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BlobStoreUnavailableError';
  }
}

/**
 * Where encrypted blobs live: the filesystem under `{data_dir}/blobs` (the default, `FsBlobStore`) or an
 * S3-compatible bucket (`S3BlobStore`). Both hold the same bytes (blob-format.ts) under the same names, so rows,
 * backups and restores do not depend on which one wrote them. An abstract class, not an interface, so that it
 * can be the Nest injection token.
 */
export abstract class BlobStore {
  /** For operators' messages: where the blobs are (never a credential). */
  abstract readonly location: string;

  /** Encrypts `source` (through any `transforms`, e.g. a size limit) into a new blob: durable and verified on return. */
  abstract write(source: Readable | AsyncIterable<Buffer>, transforms?: Transform[]): Promise<StoredBlob>;

  /** A stream of the plaintext; it errors (BlobIntegrityError) at the first altered or missing byte. */
  abstract openRead(path: string): Readable;

  /** The plaintext from byte `start` on, a chunk at a time, each authenticated. Stop iterating to stop reading. */
  abstract readFrom(path: string, start: number): AsyncGenerator<Buffer>;

  /** A blob already gone is fine. */
  abstract remove(path: string): Promise<void>;

  abstract exists(path: string): Promise<boolean>;

  /** Rewraps every blob's file key under a new key (`db rekey`); rerunnable after an interruption. */
  abstract rewrapAll(newWrapKey: Buffer, afterEach?: (rewrapped: number) => void): Promise<number>;

  /** Removes leftovers of interrupted writes that no live writer owns. */
  abstract sweepTemp(now?: number): Promise<{ removed: number; bytes: number }>;

  /** Every stored blob (not the leftovers of writes in progress). */
  abstract listStored(): AsyncIterable<StoredObject>;

  /** Leftovers of interrupted writes that a path can name and `remove` can delete (the filesystem's blobs/tmp). */
  abstract listTemporary(): AsyncIterable<StoredObject>;

  /** The stored bytes (ciphertext) as they are, for a backup; null when there is no such blob. */
  abstract openStored(path: string): Promise<Readable | null>;

  /** Stores ciphertext under its original name (a restore), durable and verified on return. */
  abstract putStored(path: string, source: Readable): Promise<void>;

  /** Fails with a clear message when the store cannot be used (checked at start). */
  abstract probe(): Promise<void>;
}

/** Stored paths come from rows: data, which must name a blob and nothing else. */
export const STORED_PATH = /^blobs\/(?!tmp\/)[^/]+\/[^/]+$/;

import { createHash, randomUUID } from 'node:crypto';
import type { Transform, Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobIntegrityError,
  BlobUnreadableError,
  CHUNK_SIZE,
  chunkCount,
  decodeHeader,
  encodeHeader,
  HEADER_SIZE,
  openChunkFrom,
  SEALED_CHUNK_SIZE,
} from './blob-format';
import { EncryptStream } from './blob-streams';
import type { StoredBlob, StoredObject } from './blob-store';
import { BlobStore, BlobStoreUnavailableError } from './blob-store';
import { ByteReader, prepend } from './byte-reader';
import type { S3Connection } from './s3-object-sink';
import { describeS3Error, ObjectSink, UPLOADS_IN_FLIGHT } from './s3-object-sink';
import { STALE_TEMP_MS } from './temp-files';

export interface S3StoreSettings {
  /** Unset: AWS S3's regional endpoint. MinIO, Ceph RGW, R2: their URL. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Prepended to every key (`tenant-a/` → `tenant-a/blobs/3f/….blob`); empty or ending in `/`. */
  prefix: string;
  /** MinIO and most self-hosted stores want `http://host/bucket/key` rather than `http://bucket.host/key`. */
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (AWS_* variables, profile, instance or pod role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Multipart part size in bytes (S3's minimum is 5 MiB); smaller blobs go in one PUT. */
  partSize: number;
}

const MD5_ETAG = /^[0-9a-f]{32}(-\d+)?$/;
const BLOB_PATH = /^blobs\/[0-9a-f]{2}\/[0-9a-f-]{36}\.blob$/;
/** Scanner work orders and results (issue 19): `work/<id>.order`, `work/<id>.result`. */
export const WORK_PATH = /^work\/[A-Za-z0-9_-]{1,200}\.(order|result)$/;

/**
 * Blobs as objects in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2), in the same encrypted format and
 * under the same names as on the filesystem: the store only ever receives ciphertext. A write returns once
 * the object is complete and verified: every part carries Content-MD5 (the store checks each on receipt), and
 * HeadObject must then report the size sent and the ETag its MD5s imply. That is this store's fsync.
 */
export class S3BlobStore extends BlobStore {
  readonly location: string;
  private connection: Promise<S3Connection> | undefined;
  private connected: S3Connection | undefined;

  constructor(
    private readonly settings: S3StoreSettings,
    private readonly wrapKey: Buffer,
  ) {
    super();
    this.location = `s3://${settings.bucket}/${settings.prefix}blobs/${settings.endpoint ? ` at ${settings.endpoint}` : ` (${settings.region})`}`;
  }

  async write(source: Readable | AsyncIterable<Buffer>, transforms: Transform[] = []): Promise<StoredBlob> {
    const id = randomUUID();
    const path = `blobs/${id.slice(0, 2)}/${id}.blob`;
    const encrypt = new EncryptStream(this.wrapKey);
    const input = source instanceof Readable ? source : Readable.from(source);
    await this.upload(path, (sink) => pipeline([input, ...transforms, encrypt, sink]), true);
    return { path, size: encrypt.plaintextBytes };
  }

  openRead(path: string): Readable {
    return Readable.from(this.chunksFrom(path, 0), { objectMode: false });
  }

  async *readFrom(path: string, start: number): AsyncGenerator<Buffer> {
    yield* this.chunksFrom(path, start);
  }

  /**
   * A sealed work object (a scanner's order or result, issue 19): the blob format under the same key, so the
   * bucket sees only ciphertext; complete and verified on return, like a blob. Overwrites one of the same name.
   */
  async putWork(path: string, source: Readable | AsyncIterable<Buffer>): Promise<void> {
    const encrypt = new EncryptStream(this.wrapKey);
    const input = source instanceof Readable ? source : Readable.from(source);
    await this.upload(path, (sink) => pipeline([input, encrypt, sink]));
  }

  /** A work object's plaintext, a chunk at a time, each authenticated; BlobIntegrityError when the key does not open it. */
  readWork(path: string): AsyncGenerator<Buffer> {
    return this.chunksFrom(path, 0);
  }

  /** Work objects (ciphertext sizes), for the sweep of stale ones. */
  async *listWork(): AsyncIterable<StoredObject> {
    yield* this.list('work/');
  }

  async remove(path: string): Promise<void> {
    const Key = this.keyFor(path);
    const { client, sdk } = await this.s3();
    await this.send(path, 'delete', () => client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key })));
  }

  async exists(path: string): Promise<boolean> {
    return (await this.head(path)) !== null;
  }

  /** Objects cannot be edited in place: each is rewritten whole with its new header, and verified like a write. */
  async rewrapAll(newWrapKey: Buffer, afterEach?: (rewrapped: number) => void): Promise<number> {
    let count = 0;
    for await (const object of this.listStored()) {
      const body = await this.get(object.path);
      const reader = new ByteReader(body.stream);
      const header = await reader.take(HEADER_SIZE, object.path);
      if (opensWith(header, newWrapKey)) {
        reader.destroy();
        continue;
      }
      const rewrapped = encodeHeader(decodeHeader(header, this.wrapKey), newWrapKey);
      await this.upload(object.path, (sink) => pipeline(Readable.from(prepend(rewrapped, reader)), sink));
      count += 1;
      afterEach?.(count);
    }
    return count;
  }

  /** Multipart uploads that a crashed writer left open, untouched for STALE_TEMP_MS; a bucket lifecycle rule is the backstop. */
  async sweepTemp(now = Date.now()): Promise<{ removed: number; bytes: number }> {
    const { client, sdk } = await this.s3();
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await client
        .send(
          new sdk.ListMultipartUploadsCommand({
            Bucket: this.settings.bucket,
            Prefix: `${this.settings.prefix}blobs/`,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        )
        .catch((err: Error) => {
          // Some S3-compatible test servers do not list uploads: nothing to sweep there.
          if (err.name === 'NotImplemented' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 405)
            return null;
          throw err;
        });
      if (!page) break;
      for (const upload of page.Uploads ?? []) {
        if (!upload.UploadId || !upload.Key || UPLOADS_IN_FLIGHT.has(upload.UploadId)) continue;
        if (upload.Initiated && now - upload.Initiated.getTime() < STALE_TEMP_MS) continue;
        await client.send(
          new sdk.AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: upload.Key, UploadId: upload.UploadId }),
        );
        removed += 1;
      }
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    return { removed, bytes: 0 };
  }

  async *listStored(): AsyncIterable<StoredObject> {
    yield* this.list('blobs/');
  }

  private async *list(under: string): AsyncIterable<StoredObject> {
    const { client, sdk } = await this.s3();
    let token: string | undefined;
    const prefix = `${this.settings.prefix}${under}`;
    do {
      const page = await this.send(prefix, 'list', () =>
        client.send(new sdk.ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield {
          path: object.Key.slice(this.settings.prefix.length),
          size: object.Size ?? 0,
          modifiedMs: object.LastModified?.getTime() ?? 0,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** An open multipart upload is not a named object: sweepTemp aborts those. */
  async *listTemporary(): AsyncIterable<StoredObject> {
    yield* [];
  }

  async openStored(path: string): Promise<Readable | null> {
    try {
      return (await this.get(path)).stream;
    } catch (err) {
      if (err instanceof BlobUnreadableError && err.code === 'ENOENT') return null;
      throw err;
    }
  }

  async putStored(path: string, source: Readable): Promise<void> {
    await this.upload(path, (sink) => pipeline(source, sink));
  }

  async probe(): Promise<void> {
    try {
      const { client, sdk } = await this.s3();
      await client.send(new sdk.HeadBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      throw new BlobStoreUnavailableError(`the blob store ${this.location} cannot be used: ${describeS3Error(err)}`, { cause: err });
    }
  }

  /** Closes the client's sockets (the CLI exits, tests stop). */
  destroy(): void {
    this.connected?.client.destroy();
    this.connection = undefined;
    this.connected = undefined;
  }

  /**
   * The SDK is loaded on first use: about 11 MB of modules and most of a second at start, which processes on the
   * filesystem store (the default) never pay.
   */
  private s3(): Promise<S3Connection> {
    this.connection ??= import('@aws-sdk/client-s3').then((sdk) => {
      const client = new sdk.S3Client({
        endpoint: this.settings.endpoint,
        region: this.settings.region,
        forcePathStyle: this.settings.forcePathStyle,
        credentials: this.settings.credentials,
        // Checksums are ours (Content-MD5 and the ETag check): the SDK's default CRC32 trailers are not understood
        // by every S3-compatible store.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      this.connected = { sdk, client };
      return this.connected;
    });
    return this.connection;
  }

  /**
   * Runs `write` into an object sink for `path`; on any failure the upload is aborted, and a new object (`fresh`)
   * that completed but failed its verification is deleted: no row will ever point at it.
   */
  private async upload(path: string, write: (sink: Writable) => Promise<void>, fresh = false): Promise<void> {
    const sink = new ObjectSink(await this.s3(), this.settings, this.keyFor(path), path);
    try {
      await write(sink);
      await this.verify(path, sink);
    } catch (err) {
      await sink.abort();
      if (fresh && sink.completed) await this.remove(path).catch(() => undefined);
      throw err;
    }
  }

  /** The object must be there, whole: the size sent, and the ETag the parts' MD5s imply (or, failing that, the same SHA-256). */
  private async verify(path: string, sink: ObjectSink): Promise<void> {
    const head = await this.head(path);
    const fail = (why: string) => new BlobStoreUnavailableError(`the object store did not keep ${path} whole: ${why}`);
    if (!head) throw fail('it is not there after the upload completed');
    if (head.size !== sink.bytes) throw fail(`it holds ${head.size} bytes, ${sink.bytes} were sent`);
    if (head.etag !== null && MD5_ETAG.test(head.etag)) {
      if (!sink.expectedEtags().includes(head.etag)) throw fail(`its ETag ${head.etag} is not the MD5 of what was sent`);
      return;
    }
    // An ETag that is not an MD5 (SSE-KMS, SSE-C, some stores): read it back.
    const hash = createHash('sha256');
    for await (const chunk of (await this.get(path)).stream) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== sink.sha256()) throw fail('what reads back differs from what was sent');
  }

  private async head(path: string): Promise<{ size: number; etag: string | null } | null> {
    const Key = this.keyFor(path);
    const { client, sdk } = await this.s3();
    try {
      const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key }));
      return { size: head.ContentLength ?? -1, etag: head.ETag ? head.ETag.replace(/"/g, '') : null };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw new BlobStoreUnavailableError(`the blob store ${this.location} cannot be read: ${describeS3Error(err)}`, { cause: err });
    }
  }

  private async get(path: string, range?: { from: number; to?: number }): Promise<{ stream: Readable; total: number }> {
    const Key = this.keyFor(path);
    const { client, sdk } = await this.s3();
    try {
      const out = await client.send(
        new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key, Range: range ? `bytes=${range.from}-${range.to ?? ''}` : undefined }),
      );
      const total = out.ContentRange ? Number(out.ContentRange.split('/')[1]) : (out.ContentLength ?? 0);
      return { stream: out.Body as Readable, total };
    } catch (err) {
      if (isNotFound(err)) throw new BlobUnreadableError(path, 'ENOENT');
      throw new BlobUnreadableError(path, (err as Error).name);
    }
  }

  /**
   * The plaintext from chunk `floor(start / CHUNK_SIZE)` on, each chunk authenticated. The stored size (which
   * says how many chunks there are, hence which one is last) comes from the store, as the file size does on disk.
   */
  private async *chunksFrom(path: string, start: number): AsyncGenerator<Buffer> {
    const sealedSize = SEALED_CHUNK_SIZE;
    const first = Math.floor(start / CHUNK_SIZE);
    let reader: ByteReader;
    let total: number;
    let headerBytes: Buffer;
    if (first === 0) {
      const whole = await this.get(path);
      reader = new ByteReader(whole.stream);
      total = whole.total;
      headerBytes = await reader.take(HEADER_SIZE, path);
    } else {
      const head = await this.get(path, { from: 0, to: HEADER_SIZE - 1 });
      headerBytes = await new ByteReader(head.stream).take(HEADER_SIZE, path);
      total = head.total;
      const from = HEADER_SIZE + first * sealedSize;
      if (from >= total) return;
      reader = new ByteReader((await this.get(path, { from })).stream);
    }
    try {
      const header = decodeHeader(headerBytes, this.wrapKey);
      const chunks = chunkCount(total);
      for (let i = first; i < chunks; i++) {
        const length = Math.min(sealedSize, total - HEADER_SIZE - i * sealedSize);
        if (length <= 0) throw new BlobIntegrityError(`chunk ${i} is truncated`);
        yield openChunkFrom(header, i, chunks, await reader.take(length, path, i), start);
      }
    } finally {
      reader.destroy();
    }
  }

  private keyFor(path: string): string {
    if (!BLOB_PATH.test(path) && !WORK_PATH.test(path)) throw new Error(`blob path ${JSON.stringify(path)} is outside the blob store`);
    return `${this.settings.prefix}${path}`;
  }

  private async send<T>(what: string, action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new BlobStoreUnavailableError(`the blob store ${this.location} failed to ${action} ${what}: ${describeS3Error(err)}`, {
        cause: err,
      });
    }
  }
}

function opensWith(header: Buffer, key: Buffer): boolean {
  try {
    decodeHeader(header, key);
    return true;
  } catch {
    return false;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { CHUNK_SIZE } from './blob-format';
import { BlobStoreUnavailableError } from './blob-store';
import type { S3StoreSettings } from './s3-blob-store';

export type S3Connection = { sdk: typeof S3Sdk; client: S3Client };

/** Parts in flight per upload: memory per upload is at most (this + 1) × partSize. */
const PARTS_IN_FLIGHT = 2;
/** Multipart uploads this process has open, by upload id: the sweep must not abort a write in progress. */
export const UPLOADS_IN_FLIGHT = new Set<string>();

/**
 * Ciphertext in, one object out: a single PUT when it fits in a part, else a multipart upload with up to
 * PARTS_IN_FLIGHT parts on the wire while the next one fills. Tracks the MD5s that the ETag must match.
 */
export class ObjectSink extends Writable {
  bytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  completed = false;
  private readonly parts: Promise<{ PartNumber: number; ETag: string }>[] = [];
  private readonly inFlight: Promise<unknown>[] = [];
  private readonly partMd5s: Buffer[] = [];
  private readonly md5 = createHash('md5');
  private readonly sha = createHash('sha256');
  private digest: { md5: string; sha256: string } | undefined;

  constructor(
    private readonly s3: S3Connection,
    private readonly settings: S3StoreSettings,
    private readonly key: string,
    private readonly path: string,
  ) {
    super({ highWaterMark: CHUNK_SIZE });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.md5.update(chunk);
    this.sha.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < this.settings.partSize) return done();
    this.flushPart().then(() => done(), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.finish().then(() => done(), done);
  }

  /** ETags a complete object may carry: the MD5 of the whole (one PUT, many stores) or of the parts' MD5s, `-N` (AWS). */
  expectedEtags(): string[] {
    const whole = this.digests().md5;
    if (this.partMd5s.length === 0) return [whole];
    return [whole, `${createHash('md5').update(Buffer.concat(this.partMd5s)).digest('hex')}-${this.partMd5s.length}`];
  }

  sha256(): string {
    return this.digests().sha256;
  }

  async abort(): Promise<void> {
    if (!this.uploadId || this.completed) return;
    await Promise.allSettled(this.inFlight);
    await this.s3.client
      .send(new this.s3.sdk.AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: this.key, UploadId: this.uploadId }))
      .catch(() => undefined);
    UPLOADS_IN_FLIGHT.delete(this.uploadId);
  }

  private digests(): { md5: string; sha256: string } {
    this.digest ??= { md5: this.md5.digest('hex'), sha256: this.sha.digest('hex') };
    return this.digest;
  }

  private takePending(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private async flushPart(): Promise<void> {
    if (!this.uploadId) {
      const created = await this.call('start a multipart upload of', () =>
        this.s3.client.send(
          new this.s3.sdk.CreateMultipartUploadCommand({
            Bucket: this.settings.bucket,
            Key: this.key,
            ContentType: 'application/octet-stream',
          }),
        ),
      );
      this.uploadId = created.UploadId!;
      UPLOADS_IN_FLIGHT.add(this.uploadId);
    }
    const body = this.takePending();
    const md5 = createHash('md5').update(body).digest();
    this.partMd5s.push(md5);
    const PartNumber = this.partMd5s.length;
    const uploadId = this.uploadId;
    const part = this.call(`upload part ${PartNumber} of`, () =>
      this.s3.client.send(
        new this.s3.sdk.UploadPartCommand({
          Bucket: this.settings.bucket,
          Key: this.key,
          UploadId: uploadId,
          PartNumber,
          Body: body,
          ContentMD5: md5.toString('base64'),
        }),
      ),
    ).then((out) => ({ PartNumber, ETag: out.ETag! }));
    part.catch(() => undefined); // awaited below or in finish(); never an unhandled rejection meanwhile
    this.parts.push(part);
    this.inFlight.push(part);
    if (this.inFlight.length >= PARTS_IN_FLIGHT) await this.inFlight.shift();
  }

  private async finish(): Promise<void> {
    if (!this.uploadId) {
      const body = this.takePending();
      await this.call('put', () =>
        this.s3.client.send(
          new this.s3.sdk.PutObjectCommand({
            Bucket: this.settings.bucket,
            Key: this.key,
            Body: body,
            ContentMD5: createHash('md5').update(body).digest('base64'),
            ContentType: 'application/octet-stream',
          }),
        ),
      );
      this.completed = true;
      return;
    }
    if (this.pendingBytes > 0) await this.flushPart();
    const parts = await Promise.all(this.parts);
    await this.call('complete the upload of', () =>
      this.s3.client.send(
        new this.s3.sdk.CompleteMultipartUploadCommand({
          Bucket: this.settings.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    );
    this.completed = true;
    UPLOADS_IN_FLIGHT.delete(this.uploadId);
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new BlobStoreUnavailableError(`the object store failed to ${action} ${this.path}: ${describeS3Error(err)}`, { cause: err });
    }
  }
}

/** The error's name and status, never the request (which carries a signature) nor a credential. */
export function describeS3Error(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}${e.code && e.code !== e.name ? ` ${e.code}` : ''}: ${e.message ?? ''}`.trim();
}

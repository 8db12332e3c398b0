import type { Readable, TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ACCEPTED_EXTENSIONS } from './file-types';
import { textSniffer as sniffText } from '@tftsr/storage';

/** Fails the stream with 413 as soon as more than `max` bytes pass, so nothing larger ever reaches disk. */
export function sizeLimit(max: number, what = 'the file'): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _e, done: TransformCallback) {
      seen += chunk.length;
      if (seen > max)
        return done(new DomainError(ErrorCode.UPLOAD_TOO_LARGE, `${what} is larger than the limit of ${max} bytes`, { max_bytes: max }));
      done(null, chunk);
    },
  });
}

/** Checks the first bytes of the (decompressed) content, since a name alone proves nothing. */
export function textSniffer(): Transform {
  return sniffText(
    (reason) =>
      new DomainError(ErrorCode.UNSUPPORTED_FILE_TYPE, `not accepted: ${reason}; send UTF-8 text, as is or gzip-compressed`, {
        accepted_types: ['text/plain', 'application/gzip'],
        accepted_extensions: ACCEPTED_EXTENSIONS,
      }),
  );
}

/**
 * Decompresses a .gz upload while streaming, refusing bombs: more than `maxBytes` out, or an expansion ratio
 * past `maxRatio` once the output is past 1 MiB (real logs compress about 10-20x; bombs do 1000x).
 */
export function guardedGunzip(maxBytes: number, maxRatio: number): Transform[] {
  let compressed = 0;
  let inflated = 0;
  const count = new Transform({
    transform(chunk: Buffer, _e, done) {
      compressed += chunk.length;
      done(null, chunk);
    },
  });
  const gunzip = createGunzip();
  const guard = new Transform({
    transform(chunk: Buffer, _e, done) {
      inflated += chunk.length;
      if (inflated > maxBytes) {
        return done(
          new DomainError(ErrorCode.UPLOAD_TOO_LARGE, `the decompressed file is larger than the limit of ${maxBytes} bytes`, {
            max_bytes: maxBytes,
          }),
        );
      }
      if (inflated > 1024 * 1024 && inflated > maxRatio * compressed) {
        return done(
          new DomainError(
            ErrorCode.UPLOAD_TOO_LARGE,
            `the file expands more than ${maxRatio}x when decompressed: refused as a decompression bomb`,
            { max_ratio: maxRatio },
          ),
        );
      }
      done(null, chunk);
    },
  });
  return [count, gunzip, guard];
}

/**
 * A corrupt .gz is the client's fault: zlib's errors become INVALID_UPLOAD, not a 500. So is a body that failed on
 * its way in (`source` errored): a truncated multipart body, or a client that went away mid-upload.
 */
export function asUploadError(err: unknown, source?: Readable): unknown {
  if (err instanceof DomainError) return err;
  const code = (err as { code?: string }).code;
  // First: a full disk also errors the source (the pipeline destroys it), and must not read as the client's fault.
  if (code === 'ENOSPC')
    return new DomainError(ErrorCode.INSUFFICIENT_STORAGE, 'the server is out of disk space; the upload was not stored');
  // Likewise a bucket that refused or dropped the write (BlobStoreUnavailableError): not the client's fault.
  if (code === 'BLOB_STORE_UNAVAILABLE')
    return new DomainError(ErrorCode.STORAGE_UNAVAILABLE, 'the blob store did not take the upload; nothing was stored, try again');
  if (source?.errored || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new DomainError(ErrorCode.INVALID_UPLOAD, 'the upload was cut short, or its multipart body is malformed; nothing was stored');
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new DomainError(ErrorCode.INVALID_UPLOAD, `the .gz file is not valid gzip: ${(err as Error).message}`);
  }
  return err;
}

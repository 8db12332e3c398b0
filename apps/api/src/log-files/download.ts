import type { FastifyReply } from 'fastify';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
// One Content-Disposition for every download; it lives with images, whose downloads came first.
import { attachmentDisposition } from '../common/content-disposition';

export interface Download {
  fileName: string;
  mimeType: string;
  /** Plaintext bytes, when known: sent as Content-Length, so a connection cut short is seen as incomplete. */
  size: number | null;
  /** Whole (decrypted before the first byte goes out) or a stream that is destroyed at the first bad chunk. */
  body: Buffer | Readable;
}

/** `app.log` → `app.redacted.log`, so a saved copy says what it is. */
export function redactedFileName(fileName: string): string {
  const ext = extname(fileName);
  return ext && ext !== fileName ? `${fileName.slice(0, -ext.length)}.redacted${ext}` : `${fileName}.redacted`;
}

/** Sends a download as an attachment that no browser renders or sniffs, and no cache keeps. */
export function sendDownload(reply: FastifyReply, download: Download): void {
  void reply.headers({
    'content-type': download.mimeType,
    'content-disposition': attachmentDisposition(download.fileName),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...(download.size === null ? {} : { 'content-length': String(download.size) }),
  });
  void reply.send(download.body);
}

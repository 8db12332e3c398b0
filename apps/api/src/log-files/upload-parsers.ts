import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Content types of a raw upload: the body reaches the route as a stream, never buffered. */
export const RAW_TYPES = ['application/octet-stream', 'text/plain', 'application/gzip', 'application/x-gzip'];

/**
 * Multipart for browsers and curl -F, raw bodies for scripts (curl --data-binary). Neither is buffered: the
 * route streams the one file into the blob store through its limits. One file and few parts per request.
 */
export async function installUploadParsers(app: NestFastifyApplication): Promise<void> {
  // fileSize defaults to Fastify's bodyLimit (1 MiB), past which the file is silently cut short: the size
  // limit is the upload setting, enforced while streaming (upload-limits.ts), so multipart imposes none.
  await app.register(multipart, { limits: { files: 1, parts: 4, fields: 2, fieldSize: 1024, headerPairs: 100, fileSize: Infinity } });
  app
    .getHttpAdapter()
    .getInstance()
    .addContentTypeParser(RAW_TYPES, (_request, payload, done) => done(null, payload));
}

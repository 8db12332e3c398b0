import type { FastifyRequest } from 'fastify';
import { PassThrough, Readable } from 'node:stream';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { IncomingFile } from './log-files.service';

/** The one file of an upload: the `file` part of a multipart body, or a raw body named by `?file_name=`. */
export async function readUpload(request: FastifyRequest, fileName: string | undefined): Promise<IncomingFile> {
  if (request.isMultipart()) {
    let part;
    try {
      part = await request.file();
    } catch (err) {
      throw new DomainError(ErrorCode.INVALID_UPLOAD, `the multipart body is malformed: ${(err as Error).message}`);
    }
    if (!part) throw new DomainError(ErrorCode.INVALID_UPLOAD, 'the multipart body has no file part');
    if (part.fieldname !== 'file') {
      part.file.resume();
      throw new DomainError(ErrorCode.INVALID_UPLOAD, `the file must be sent in the field "file", not "${part.fieldname}"`);
    }
    return { fileName: part.filename, stream: ownStream(part.file) };
  }
  if (!(request.body instanceof Readable)) {
    throw new DomainError(
      ErrorCode.INVALID_UPLOAD,
      'send the file as multipart/form-data (field "file"), or as a raw body with ?file_name=',
    );
  }
  if (!fileName) {
    request.body.resume();
    throw new DomainError(ErrorCode.INVALID_UPLOAD, 'a raw upload needs ?file_name= to say what the file is');
  }
  return { fileName, stream: ownStream(request.body) };
}

/**
 * The upload's stream, failed with INVALID_UPLOAD if it closes before its end. A multipart body that ends inside
 * the file part, or a client that goes away, makes @fastify/multipart destroy the part without an error (busboy's own
 * error is emitted before anyone listens, without marking the stream errored), often before the route pipes it:
 * a pipeline attached to it then waits forever instead of failing and removing its temp file.
 */
function ownStream(part: Readable): Readable {
  const out = new PassThrough();
  const cutShort = () => {
    if (!part.readableEnded)
      out.destroy(
        new DomainError(ErrorCode.INVALID_UPLOAD, 'the upload was cut short: the body ended inside the file, or the client went away'),
      );
  };
  if (part.destroyed) {
    cutShort();
    return out;
  }
  part.on('error', cutShort);
  part.on('close', cutShort);
  // eslint-disable-next-line no-restricted-syntax -- the listeners above end `out` with the upload's own error
  part.pipe(out);
  return out;
}

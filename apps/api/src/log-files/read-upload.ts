import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
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
    return { fileName: part.filename, stream: part.file };
  }
  if (!(request.body instanceof Readable)) {
    throw new DomainError(ErrorCode.INVALID_UPLOAD, 'send the file as multipart/form-data (field "file"), or as a raw body with ?file_name=');
  }
  if (!fileName) {
    request.body.resume();
    throw new DomainError(ErrorCode.INVALID_UPLOAD, 'a raw upload needs ?file_name= to say what the file is');
  }
  return { fileName, stream: request.body };
}

import { ValidationPipe } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { DomainError, ErrorCode } from '../common/domain-error';
import { MAX_IMAGE_BYTES, UploadImageJsonBody } from './images.dto';

/** One image as the client sent it, read whole: it is small, and the decoder needs all of it anyway. */
export interface IncomingImage {
  bytes: Buffer;
  /** The client's name, unsanitised; undefined for a paste without one. */
  fileName?: string;
  isPaste: boolean;
  /** What the client says; only `true` lets the upload through. */
  acknowledged: boolean | undefined;
}

const HOW = 'send multipart/form-data with a "file" part, or JSON {"data_url", "pii_warning_acknowledged": true}';
const FIELDS = ['pii_warning_acknowledged', 'is_paste'] as const;
// One byte past the limit is enough to know the file is too large; busboy discards the rest.
const MULTIPART_OPTIONS = { limits: { fileSize: MAX_IMAGE_BYTES + 1 }, throwFileSizeLimit: false };
// The same rules as the global pipe: the JSON branch is validated here because multipart has no DTO body.
const jsonPipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });

export async function readImageUpload(request: FastifyRequest): Promise<IncomingImage> {
  if (request.isMultipart()) return readMultipart(request);
  const body = request.body;
  if (body instanceof Readable) {
    body.resume();
    throw new DomainError(ErrorCode.INVALID_UPLOAD, `a raw body is not accepted for images: ${HOW}`);
  }
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DomainError(ErrorCode.INVALID_UPLOAD, `the body holds no image: ${HOW}`);
  }
  const json = (await jsonPipe.transform(body, { type: 'body', metatype: UploadImageJsonBody })) as UploadImageJsonBody;
  return {
    bytes: decodeDataUrl(json.data_url),
    fileName: json.file_name,
    isPaste: json.is_paste ?? true,
    acknowledged: json.pii_warning_acknowledged,
  };
}

async function readMultipart(request: FastifyRequest): Promise<IncomingImage> {
  const fields: Partial<Record<(typeof FIELDS)[number], boolean>> = {};
  let file: { bytes: Buffer; name: string } | undefined;
  try {
    for await (const part of request.parts(MULTIPART_OPTIONS)) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw new DomainError(ErrorCode.INVALID_UPLOAD, `the image must be sent in the field "file", not "${part.fieldname}"`);
        }
        file = { bytes: await readLimited(part.file), name: part.filename };
      } else {
        const name = part.fieldname as (typeof FIELDS)[number];
        if (!FIELDS.includes(name)) throw invalidField(`property ${part.fieldname} should not exist`);
        fields[name] = formBoolean(name, part.value);
      }
    }
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new DomainError(ErrorCode.INVALID_UPLOAD, `the multipart body is malformed: ${(err as Error).message}`);
  }
  if (!file) throw new DomainError(ErrorCode.INVALID_UPLOAD, 'the multipart body has no file part (field "file", with a file name)');
  return { bytes: file.bytes, fileName: file.name, isPaste: fields.is_paste ?? false, acknowledged: fields.pii_warning_acknowledged };
}

async function readLimited(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_IMAGE_BYTES) {
      stream.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function formBoolean(name: string, value: unknown): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalidField(`${name} must be true or false`);
}

function invalidField(problem: string): DomainError {
  return new DomainError(ErrorCode.VALIDATION_FAILED, problem, { problems: [problem] });
}

const DATA_URL_HEADER = /^data:[^,]{0,200};base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** `data:<type>;base64,<payload>`, strictly: Buffer.from(…, 'base64') would silently skip bad characters. */
export function decodeDataUrl(dataUrl: string): Buffer {
  const header = DATA_URL_HEADER.exec(dataUrl);
  if (!header) throw new DomainError(ErrorCode.INVALID_UPLOAD, 'data_url must be a base64 data URL: data:image/png;base64,…');
  const payload = dataUrl.slice(header[0].length);
  if (payload.length % 4 !== 0 || !BASE64.test(payload)) {
    throw new DomainError(ErrorCode.INVALID_UPLOAD, 'the data URL payload is not valid base64 (no line breaks or URL-safe alphabet)');
  }
  const padding = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
  if ((payload.length / 4) * 3 - padding > MAX_IMAGE_BYTES) throw tooLarge();
  return Buffer.from(payload, 'base64');
}

function tooLarge(): DomainError {
  return new DomainError(ErrorCode.UPLOAD_TOO_LARGE, `the image is larger than the limit of ${MAX_IMAGE_BYTES} bytes (10 MiB)`, {
    max_bytes: MAX_IMAGE_BYTES,
  });
}

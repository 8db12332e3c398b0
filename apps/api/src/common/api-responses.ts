import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse, OpenAPIObject } from '@nestjs/swagger';
import { ERROR_STATUS, ErrorCode } from './domain-error';

export class ErrorDetail {
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' }) code: ErrorCode;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

/** The one error body (common/error.filter.ts). */
export class ErrorResponse {
  @ApiProperty({ type: ErrorDetail }) error: ErrorDetail;
  @ApiProperty() request_id: string;
}

/** The headers an error response of each status declares; STATUS_HEADERS (domain-error.ts) makes every error send them. */
export const HEADERS: Partial<Record<number, Record<string, { description: string; schema: { type: 'integer' | 'string' } }>>> = {
  [HttpStatus.TOO_MANY_REQUESTS]: { 'Retry-After': { description: 'Seconds until the key may call again.', schema: { type: 'integer' } } },
  [HttpStatus.SERVICE_UNAVAILABLE]: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
  [HttpStatus.UNAUTHORIZED]: { 'WWW-Authenticate': { description: 'Always `Bearer`.', schema: { type: 'string' } } },
};

/** What any upload route can refuse, whatever it stores: the body, the issue, the limits and the store. */
export const UPLOAD_ERRORS: readonly ErrorCode[] = [
  ErrorCode.VALIDATION_FAILED,
  ErrorCode.INVALID_UPLOAD,
  ErrorCode.ISSUE_NOT_FOUND,
  ErrorCode.UPLOAD_TOO_LARGE,
  ErrorCode.UNSUPPORTED_FILE_TYPE,
  ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  ErrorCode.TOO_MANY_FILES,
  ErrorCode.INSUFFICIENT_STORAGE,
  ErrorCode.STORAGE_UNAVAILABLE,
];

/** Documents the error responses of a route, grouped by status, each naming its codes. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, group]) =>
      ApiResponse({ status, type: ErrorResponse, description: group.join(', '), headers: HEADERS[status] }),
    ),
  );
}

/** The content of every error response: the one error body. */
const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };

interface DocumentedOperation {
  requestBody?: unknown;
  responses?: Record<string, { description?: string; [field: string]: unknown }>;
}

/** Each operation of the document with its method (`get`, `post`, …). */
function* operationsOf(document: OpenAPIObject): Generator<[method: string, operation: DocumentedOperation]> {
  for (const item of Object.values(document.paths)) yield* Object.entries(item as Record<string, DocumentedOperation>);
}

/** Every route that takes a body can answer 415 (a body in a type it does not take): declared once for all. */
export function declareMediaTypeErrors(document: OpenAPIObject): OpenAPIObject {
  for (const [, operation] of operationsOf(document)) {
    if (!operation?.requestBody || !operation.responses || operation.responses['415']) continue;
    // Its details.accepted_types lists the types the route takes.
    operation.responses['415'] = { description: ErrorCode.UNSUPPORTED_MEDIA_TYPE, content: ERROR_CONTENT };
  }
  return document;
}

const WRITING_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * Every route that writes can answer 503 DATABASE_BUSY (another process held the write lock past the busy timeout;
 * nothing was written): declared once for every POST, PUT, PATCH and DELETE. A GET that writes (an audited reveal,
 * a review index built on first read) declares it itself.
 */
export function declareBusyErrors(document: OpenAPIObject): OpenAPIObject {
  const status = ERROR_STATUS[ErrorCode.DATABASE_BUSY];
  for (const [method, operation] of operationsOf(document)) {
    if (!WRITING_METHODS.has(method) || !operation?.responses) continue;
    const declared = operation.responses[status];
    if (declared?.description?.split(', ').includes(ErrorCode.DATABASE_BUSY)) continue;
    operation.responses[status] = declared
      ? { ...declared, description: `${declared.description}, ${ErrorCode.DATABASE_BUSY}` }
      : { description: ErrorCode.DATABASE_BUSY, headers: HEADERS[status], content: ERROR_CONTENT };
  }
  return document;
}

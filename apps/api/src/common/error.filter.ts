import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { OpenAPIObject } from '@nestjs/swagger';
import { isSqliteBusy } from '@tftsr/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ERROR_STATUS, ErrorBody, ErrorCode } from './domain-error';

/** Fastify's own error codes that are the client's fault, mapped to ours. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.INVALID_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.INVALID_JSON,
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.VALIDATION_FAILED,
};

const HTTP_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.NOT_FOUND]: ErrorCode.ROUTE_NOT_FOUND,
  [HttpStatus.METHOD_NOT_ALLOWED]: ErrorCode.METHOD_NOT_ALLOWED,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
};

/** The one place errors become HTTP: `{error: {code, message, details?}, request_id}`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');
  private consumes = new Map<string, string[]>();

  /** What each route's body may be, from the OpenAPI document: a 415 names them. */
  useConsumedTypes(document: OpenAPIObject): void {
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
        const types = Object.keys((operation as { requestBody?: { content?: Record<string, unknown> } }).requestBody?.content ?? {});
        if (types.length > 0) this.consumes.set(`${method.toUpperCase()} ${path}`, types);
      }
    }
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    // Already answered (the body watchdog's 408): the handler's failure that followed has nowhere to go.
    if (reply.sent) return;
    const error = busyToDomainError(exception, this.logger);
    const { status, body } = this.toBody(error, String(request.id), this.consumedBy(request));
    if (error instanceof DomainError) void reply.headers(error.headers);
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private consumedBy(request: FastifyRequest): string[] {
    // Fastify's /v1/issues/:id is the document's /v1/issues/{id}.
    const path = (request.routeOptions?.url ?? '').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    return this.consumes.get(`${request.method} ${path}`) ?? ['application/json'];
  }

  private toBody(exception: unknown, requestId: string, consumed: string[]): { status: number; body: ErrorBody } {
    const make = (code: ErrorCode, message: string, details?: Record<string, unknown>) => ({
      status: ERROR_STATUS[code],
      body: { error: { code, message, ...(details ? { details } : {}) }, request_id: requestId },
    });
    if (exception instanceof DomainError) return make(exception.code, exception.message, exception.details);
    const fastifyCode = (exception as { code?: string } | null)?.code;
    if (fastifyCode && FASTIFY_CODES[fastifyCode]) {
      const code = FASTIFY_CODES[fastifyCode];
      if (code === ErrorCode.UNSUPPORTED_MEDIA_TYPE) return unsupportedMediaType(make, (exception as Error).message, consumed);
      return make(code, (exception as Error).message);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_CODES[status];
      if (code) {
        const response = exception.getResponse() as { message?: string | string[] } | string;
        const messages = typeof response === 'string' ? [response] : [response.message ?? exception.message].flat();
        if (code === ErrorCode.UNSUPPORTED_MEDIA_TYPE) return unsupportedMediaType(make, messages.join('; '), consumed);
        return code === ErrorCode.VALIDATION_FAILED
          ? make(code, messages.join('; '), { problems: messages })
          : make(code, messages.join('; '));
      }
    }
    const errorId = randomUUID();
    this.logger.error(`unhandled error ${errorId} (request ${requestId}): ${(exception as Error)?.stack ?? String(exception)}`);
    return make(ErrorCode.INTERNAL_ERROR, `internal error; quote error id ${errorId} to the operator`, { error_id: errorId });
  }
}

/**
 * SQLITE_BUSY after the busy timeout: another process held the write lock too long (a huge commit, a stuck
 * checkpoint). The transaction wrote nothing, so the answer is a 503 to retry, not an internal error.
 */
export function busyToDomainError(exception: unknown, logger: Pick<Logger, 'warn'>): unknown {
  if (!isSqliteBusy(exception)) return exception;
  const { code } = exception as { code: string };
  logger.warn(`database write lock still taken after the busy timeout (${code}); answered 503`);
  return new DomainError(ErrorCode.DATABASE_BUSY, 'the database is busy; nothing was written, retry in a moment', undefined, {
    'Retry-After': '2',
  });
}

/** A body in a type the route does not take: the answer names the ones it does. */
function unsupportedMediaType<T>(
  make: (code: ErrorCode, message: string, details: Record<string, unknown>) => T,
  message: string,
  consumed: string[],
): T {
  return make(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `${message}; send ${consumed.join(', ')}`, { accepted_types: consumed });
}

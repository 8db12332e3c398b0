import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainError } from '../common/domain-error';
import { ERROR_STATUS, ErrorCode } from '../common/domain-error';

/** Each shipper protocol refuses in its own shape, so the shipper logs (and retries) as it would against the real thing. */
export type ShipperProtocol = 'lines' | 'loki' | 'es';

const ES_TYPES: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.UNAUTHENTICATED]: 'security_exception',
  [ErrorCode.FORBIDDEN]: 'security_exception',
  [ErrorCode.RATE_LIMITED]: 'es_rejected_execution_exception',
  [ErrorCode.INGEST_BACKLOG_FULL]: 'es_rejected_execution_exception',
  [ErrorCode.INVALID_INGEST_BODY]: 'parse_exception',
  [ErrorCode.ISSUE_NOT_FOUND]: 'index_not_found_exception',
  [ErrorCode.UPLOAD_TOO_LARGE]: 'content_too_long_exception',
  [ErrorCode.PAYLOAD_TOO_LARGE]: 'content_too_long_exception',
  [ErrorCode.TOO_MANY_FILES]: 'validation_exception',
};

/** Sends a DomainError as `protocol` answers errors: our JSON envelope, Loki's plain text, or Elasticsearch's error object. */
export function sendShipperError(protocol: ShipperProtocol, err: DomainError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = ERROR_STATUS[err.code];
  for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
  if (protocol === 'loki') return reply.code(status).type('text/plain; charset=utf-8').send(`${err.code}: ${err.message}\n`);
  if (protocol === 'es') {
    if (err.code === ErrorCode.UNAUTHENTICATED) reply.header('WWW-Authenticate', 'Basic realm="tftsr", charset="UTF-8", ApiKey');
    const type = ES_TYPES[err.code] ?? 'exception';
    const reason = `${err.code}: ${err.message}`;
    return reply
      .code(status)
      .header('X-Elastic-Product', 'Elasticsearch')
      .send({ error: { root_cause: [{ type, reason }], type, reason }, status });
  }
  if (err.code === ErrorCode.UNAUTHENTICATED) reply.header('WWW-Authenticate', 'Bearer, Basic realm="tftsr"');
  return reply
    .code(status)
    .send({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }, request_id: request.id });
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainError, ErrorBody } from './domain-error';
import { ERROR_STATUS } from './domain-error';

/**
 * Answers a refusal from a Fastify hook, before Nest (and its error filter) is reached, in the filter's shape.
 * An async hook that answers must return the reply, or Fastify would run the route as well.
 */
export function replyWithError(request: FastifyRequest, reply: FastifyReply, err: DomainError): FastifyReply {
  const body: ErrorBody = {
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    request_id: String(request.id),
  };
  return reply
    .code(ERROR_STATUS[err.code])
    .headers(err.headers ?? {})
    .header('content-type', 'application/json; charset=utf-8')
    .send(body);
}

import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { DomainError, ErrorCode } from './domain-error';

/**
 * Replaces Fastify's JSON parser so that a malformed body reaches the error filter as INVALID_JSON:
 * Nest turns Fastify's own parse errors into a bare HttpException and drops their code. Prototype
 * poisoning is still refused, as Fastify's parser does.
 */
export function installJsonBodyParser(instance: FastifyInstance): void {
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(new DomainError(ErrorCode.INVALID_JSON, `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}

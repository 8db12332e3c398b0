import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { DomainError, ErrorCode } from './domain-error';

/** No request of ours nests deeper than a few levels; a deep body only costs the parser and the validation pipe stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Replaces Fastify's JSON parser so that a malformed body reaches the error filter as INVALID_JSON:
 * Nest turns Fastify's own parse errors into a bare HttpException and drops their code. Prototype
 * poisoning is still refused, as Fastify's parser does, and so is nesting past MAX_JSON_DEPTH, before parsing.
 */
export function installJsonBodyParser(instance: FastifyInstance): void {
  instance.removeContentTypeParser('application/json');
  instance.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') return done(null, undefined);
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(
        new DomainError(ErrorCode.INVALID_JSON, `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, {
          max_depth: MAX_JSON_DEPTH,
        }),
        undefined,
      );
    }
    try {
      done(null, sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(new DomainError(ErrorCode.INVALID_JSON, `the body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** One linear pass with no recursion: brackets inside strings do not count. Malformed text is left to the parser. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

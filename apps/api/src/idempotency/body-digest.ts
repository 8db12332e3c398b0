import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PassThrough, pipeline } from 'node:stream';

/** The SHA-256 of a request's body as it arrives, for the Idempotency-Key check (null if the body never ended). */
export interface BodyDigest {
  digest: Promise<string | null>;
  /** Reads the rest of the body without using it: for an answer given without running the handler. */
  drain(): void;
}

export type WithBodyDigest = FastifyRequest & { bodyDigest?: BodyDigest };

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Hashes the body of every POST that carries an Idempotency-Key, whatever parses it: JSON and raw uploads read
 * the stream handed on here; multipart reads the raw request itself (@fastify/multipart), so that is tapped,
 * paused until its reader pipes it. A hook on its own, apart from authentication and the interceptor.
 */
export function installBodyDigest(fastify: FastifyInstance): void {
  // A callback hook, not an async one: its work is synchronous, and an async hook costs every request a promise.
  fastify.addHook('preParsing', (request: WithBodyDigest, _reply, payload, done) => done(null, tap(request, payload)));
}

/** The body stream the parser reads: the request's own, or a tap that hashes it on the way. */
function tap(request: WithBodyDigest, payload: Readable): Readable {
  if (request.method !== 'POST' || request.headers[IDEMPOTENCY_HEADER] === undefined) return payload;
  const hash = createHash('sha256');
  const multipart = (request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/');
  const source: Readable = multipart ? request.raw : payload;
  // A client that retries re-encodes a form with a new random boundary: hash a multipart body without it.
  const boundary = multipart ? /boundary="?([^";]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1] : undefined;
  const strip = boundary ? withoutBoundary(Buffer.from(boundary), (bytes) => hash.update(bytes)) : null;
  const digest = new Promise<string | null>((resolve) => {
    source.on('end', () => {
      strip?.end();
      resolve(hash.digest('hex'));
    });
    // After 'end' this changes nothing; before it, the body never arrived whole.
    source.on('close', () => resolve(null));
    source.on('error', () => resolve(null));
  });
  if (multipart) {
    request.raw.on('data', (chunk: Buffer) => (strip ? strip.write(chunk) : hash.update(chunk)));
    // A 'data' listener starts the flow; pause until busboy pipes the request (pipe resumes it).
    request.raw.pause();
    request.bodyDigest = { digest, drain: () => request.raw.resume() };
    return payload;
  }
  const tapped = new PassThrough();
  payload.on('data', (chunk: Buffer) => hash.update(chunk));
  // pipeline, not pipe: a client gone mid-body must end the handler's stream too (in error), or the handler
  // waits forever and its key stays in progress. The error reaches the handler through `tapped`.
  pipeline(payload, tapped, () => undefined);
  request.bodyDigest = { digest, drain: () => tapped.resume() };
  return tapped;
}

/** Feeds `out` the stream with every occurrence of `boundary` removed, holding back a possible partial match. */
function withoutBoundary(boundary: Buffer, out: (bytes: Buffer) => void): { write(chunk: Buffer): void; end(): void } {
  let carry = Buffer.alloc(0);
  return {
    write(chunk) {
      let data = Buffer.concat([carry, chunk]);
      for (let at = data.indexOf(boundary); at >= 0; at = data.indexOf(boundary)) {
        out(data.subarray(0, at));
        data = data.subarray(at + boundary.length);
      }
      const keep = Math.min(data.length, boundary.length - 1);
      out(data.subarray(0, data.length - keep));
      carry = Buffer.from(data.subarray(data.length - keep));
    },
    end() {
      out(carry);
      carry = Buffer.alloc(0);
    },
  };
}

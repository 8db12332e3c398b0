import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasBody } from '../auth/request-gate';
import { DomainError, ErrorCode } from './domain-error';
import { replyWithError } from './error-reply';

export interface BodyWatchdogOptions {
  minBytesPerSecond: number;
  windowMs: number;
  timeoutMs: number;
}

/**
 * A body that trickles in holds a descriptor, a temp file and a stream for as long as the client likes. This
 * answers 408 (and closes the connection) when a body arrives slower than the minimum rate over a window, or not
 * whole within the hard timeout. It counts the socket's bytes, so it sees multipart, raw and JSON bodies alike
 * without reading them. Closing the connection fails the upload's stream, which removes its temp file.
 */
export function installBodyWatchdog(fastify: FastifyInstance, options: BodyWatchdogOptions): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (hasBody(request)) watch(request, reply, options);
    done();
  });
}

function watch(request: FastifyRequest, reply: FastifyReply, options: BodyWatchdogOptions): void {
  const socket = request.raw.socket;
  const minBytes = (options.minBytesPerSecond * options.windowMs) / 1000;
  let last = socket.bytesRead;
  const stop = () => {
    clearInterval(rate);
    clearTimeout(deadline);
  };
  const timeOut = (message: string, details: Record<string, unknown>) => {
    stop();
    if (request.raw.complete || reply.sent) return;
    const err = new DomainError(ErrorCode.REQUEST_TIMEOUT, message, details, { Connection: 'close' });
    // Once the 408 is out, the body stream fails, so the route's pipeline stops and removes its temp file.
    reply.raw.once('finish', () => request.raw.destroy(err));
    replyWithError(request, reply, err);
  };
  const rate = setInterval(() => {
    const read = socket.bytesRead;
    if (read - last < minBytes) {
      timeOut(`the body arrived slower than ${options.minBytesPerSecond} bytes/s over ${options.windowMs} ms`, {
        min_bytes_per_second: options.minBytesPerSecond,
        window_ms: options.windowMs,
      });
    }
    last = read;
  }, options.windowMs).unref();
  const deadline = setTimeout(
    () => timeOut(`the body was not received within ${options.timeoutMs} ms`, { timeout_ms: options.timeoutMs }),
    options.timeoutMs,
  ).unref();
  request.raw.once('end', stop);
  request.raw.once('close', stop);
  reply.raw.once('close', stop);
}

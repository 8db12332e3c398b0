import type { FastifyInstance } from 'fastify';

/** How often, while the API closes, connections that have gone idle are closed. */
const IDLE_SWEEP_MS = 100;

/** Per app: the requests its close cut (see requestsCut). */
const cut = new WeakMap<FastifyInstance, number>();

/**
 * Bounds how long open connections hold up the close of the API (SIGTERM, or a test's `app.close()`).
 *
 * Node closes idle keep-alive connections once, when closing starts. A connection busy at that moment stays open
 * after its answer until the client drops it (Fastify tells clients 72 s), and one whose client has stopped
 * reading an answer (a download, a large JSON document) never finishes it at all. Either would keep the rest of
 * the close (the outbox relay's last pass, the database) waiting until the process gives up.
 *
 * So while closing, each connection is closed as soon as it goes idle, and whatever is still open `graceMs` after
 * the close began is cut. A request cut that way was never answered, so nothing it sent was acknowledged: an
 * upload's client sees the connection drop and sends it again. requestsCut() says how many there were.
 */
export function installConnectionDrain(fastify: FastifyInstance, graceMs: number, warn: (message: string) => void): void {
  let inFlight = 0;
  fastify.server.on('request', (_request, response) => {
    inFlight += 1;
    // Emitted once the answer is sent, or the connection is gone.
    response.once('close', () => (inFlight -= 1));
  });
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      if (inFlight > 0) {
        cut.set(fastify, inFlight);
        warn(`cutting ${inFlight} request(s) still in flight ${graceMs} ms after shutdown began; they are not answered`);
      }
      server.closeAllConnections();
    }, graceMs);
    // Timers of a close that never completes (a server that was not listening) do not keep the process alive.
    sweep.unref();
    deadline.unref();
    server.once('close', () => {
      clearInterval(sweep);
      clearTimeout(deadline);
    });
    done();
  });
}

/** The requests the app's close cut, unanswered, at the end of its grace period (0 when all were answered). */
export function requestsCut(fastify: FastifyInstance): number {
  return cut.get(fastify) ?? 0;
}

import type { FastifyInstance } from 'fastify';

/** How often, while the API closes, connections that have gone idle are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * Bounds how long open connections hold up the close of the API (SIGTERM, or a test's `app.close()`).
 *
 * Node closes idle keep-alive connections once, when closing starts. A connection busy at that moment stays open
 * after its answer until the client drops it (Fastify tells clients 72 s), and one whose client has stopped
 * reading an answer (a download, a large JSON document) never finishes it at all. Either would keep the rest of
 * the close (the outbox relay's last pass, the database) waiting until the process is killed.
 *
 * So while closing: each connection is closed as soon as it goes idle, and whatever is still open `drainMs` after
 * the close began is cut. A request cut that way was never answered, so nothing it sent was acknowledged: an
 * upload's client sees the connection drop and sends it again.
 */
export function installConnectionDrain(fastify: FastifyInstance, drainMs: number, warn: (message: string) => void): void {
  fastify.addHook('preClose', (done) => {
    const server = fastify.server;
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      server.getConnections((_err, open) => {
        if (open > 0) warn(`closing ${open} connection(s) still open ${drainMs} ms after shutdown began; their requests are not answered`);
        server.closeAllConnections();
      });
    }, drainMs);
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

import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every response, HTML or not: a CSP that forbids framing and anything not served by us,
 * nosniff, and the rest of helmet's defaults. /docs (Swagger UI) and /admin/queues (Bull Board) load only their own
 * scripts; both use inline styles, and Swagger UI data: images. Bull Board's web font is from elsewhere and is
 * refused: the page falls back to a local font. HSTS is the TLS proxy's to send (README, "TLS in front").
 */
export async function installSecurityHeaders(fastify: FastifyInstance): Promise<void> {
  await fastify.register(helmet, {
    global: true,
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

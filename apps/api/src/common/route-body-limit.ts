import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * A larger request body for one route, where the 1 MiB default of every other route is too small. Nest passes
 * only a route's `config` to Fastify, so installRouteBodyLimits copies it into the route's own `bodyLimit`.
 */
export const RouteBodyLimit = (bytes: number) => RouteConfig({ bodyLimit: bytes });

/** Must run before Nest registers the routes (it does so in app.init()). */
export function installRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
}

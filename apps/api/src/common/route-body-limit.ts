import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** What a route may receive, beyond the defaults: 1 MiB of application/json. */
export interface RouteBodyOptions {
  bodyLimit?: number;
  /** Media types of the body (without parameters); anything else is refused with 415 before it is read. */
  mediaTypes?: readonly string[];
}

export const DEFAULT_MEDIA_TYPES: readonly string[] = ['application/json'];

/**
 * Nest passes only a route's `config` to Fastify, through one metadata key: these decorators merge into it, so a
 * route can carry both.
 */
function mergeRouteConfig(options: RouteBodyOptions): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const before = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as RouteBodyOptions;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...before, ...options }, handler);
    return descriptor;
  };
}

/** A larger request body for one route, where the 1 MiB default of every other route is too small. */
export const RouteBodyLimit = (bytes: number) => mergeRouteConfig({ bodyLimit: bytes });

/** The body media types a route accepts, when it is not (only) JSON: uploads. */
export const RouteMediaTypes = (...types: string[]) => mergeRouteConfig({ mediaTypes: types });

/** The media types the matched route accepts. */
export function acceptedMediaTypes(request: FastifyRequest): readonly string[] {
  return (request.routeOptions.config as RouteBodyOptions | undefined)?.mediaTypes ?? DEFAULT_MEDIA_TYPES;
}

/** Must run before Nest registers the routes (it does so in app.init()): copies `config.bodyLimit` to the route. */
export function installRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as RouteBodyOptions | undefined)?.bodyLimit;
    if (typeof limit === 'number') route.bodyLimit = limit;
  });
}

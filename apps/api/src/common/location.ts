import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { map } from 'rxjs';

const LOCATION = 'tftsr:location';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LocationOf = (body: any, params: Record<string, string>) => string;

/**
 * Where the resource a 201 or 202 made (or is making) can be found, from the response body and the path
 * parameters: sent as the Location header. The OpenAPI document declares Location on every 201 and 202.
 * The interceptor is the marked route's own, not a global one: a route without it (every GET) does not pay for
 * Nest's interceptor chain.
 */
export const Location = (locationOf: LocationOf): MethodDecorator =>
  applyDecorators(SetMetadata(LOCATION, locationOf), UseInterceptors(new LocationInterceptor(locationOf)));

/** Sets Location on the answers of routes marked with @Location (routes that send with @Res set it themselves). */
export class LocationInterceptor implements NestInterceptor {
  constructor(private readonly locationOf: LocationOf) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest<{ Params: Record<string, string> }>>();
    // eslint-disable-next-line no-restricted-syntax -- an rxjs Observable's pipe, not a stream
    return next.handle().pipe(
      map((body: unknown) => {
        http.getResponse<FastifyReply>().header('location', this.locationOf(body, request.params ?? {}));
        return body;
      }),
    );
  }
}

/** Declares the Location header on every 201 and 202 of the document. */
export function declareLocationHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { headers?: Record<string, unknown> }> }).responses;
      for (const status of ['201', '202']) {
        const response = responses?.[status];
        if (!response) continue;
        response.headers = {
          ...response.headers,
          Location: {
            description: 'The path of the resource created, or of where to follow the work accepted.',
            schema: { type: 'string' },
          },
        };
      }
    }
  }
  return document;
}

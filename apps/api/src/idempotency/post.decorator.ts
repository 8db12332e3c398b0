import { Post as NestPost } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Nest's `@Post` with the Idempotency-Key interceptor as the route's outermost interceptor: the route's own ones
 * (e.g. @Location) run inside it, so a replayed answer is the stored one, as under a global interceptor. Only POST
 * routes carry it: a global interceptor made every GET pay for Nest's interceptor chain (bench/RESULTS.md,
 * issues-get). ESLint refuses Nest's own `Post` in apps/api, and post.decorator.spec.ts checks every POST route.
 */
export function Post(path?: string | string[]): MethodDecorator {
  return (target, key, descriptor) => {
    NestPost(path)(target, key, descriptor);
    const handler = descriptor.value as object;
    const others = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [IdempotencyInterceptor, ...others], handler);
  };
}

import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Location, LocationInterceptor } from '../common/location';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { Post } from './post.decorator';

const API_SRC = join(__dirname, '..');

function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return controllerFiles(path);
    return entry.name.endsWith('.controller.ts') ? [path] : [];
  });
}

/** Every POST handler of every controller of the API, with its interceptors in the order Nest runs them. */
function postHandlers(): { name: string; interceptors: unknown[] }[] {
  return controllerFiles(API_SRC).flatMap((file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = Object.values(require(file) as Record<string, unknown>);
    const controllers = exported.filter((value): value is { prototype: object; name: string } => {
      return typeof value === 'function' && Reflect.getMetadata(PATH_METADATA, value) !== undefined;
    });
    return controllers.flatMap((controller) =>
      Object.getOwnPropertyNames(controller.prototype).flatMap((method) => {
        const handler = (controller.prototype as Record<string, unknown>)[method];
        if (typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) return [];
        const interceptors = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
        return [{ name: `${controller.name}.${method}`, interceptors }];
      }),
    );
  });
}

describe('Post (the Idempotency-Key on every POST route)', () => {
  it('gives every POST route of the API the Idempotency-Key interceptor, outermost', () => {
    const posts = postHandlers();
    const written = controllerFiles(API_SRC).reduce((n, file) => n + (readFileSync(file, 'utf8').match(/@Post\(/g) ?? []).length, 0);
    expect(posts).toHaveLength(written);
    expect(posts.filter((post) => post.interceptors[0] !== IdempotencyInterceptor).map((post) => post.name)).toEqual([]);
  });

  it('keeps the interceptor outermost whichever side of @Location it is written on', () => {
    class Sut {
      @Post()
      @Location(() => '/above')
      above(): void {}

      @Location(() => '/below')
      @Post()
      below(): void {}
    }
    for (const handler of [Sut.prototype.above, Sut.prototype.below]) {
      const interceptors = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[];
      expect(interceptors).toHaveLength(2);
      expect(interceptors[0]).toBe(IdempotencyInterceptor);
      expect(interceptors[1]).toBeInstanceOf(LocationInterceptor);
    }
  });
});

import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { from, lastValueFrom, Observable } from 'rxjs';
import { GroupCommit, IdempotencyKeyRepository } from '@tftsr/db';
import type { AuthenticatedRequest } from '../auth/scopes.decorator';
import { DomainError, ErrorCode } from '../common/domain-error';
import { IDEMPOTENCY_HEADER, WithBodyDigest } from './body-digest';

/** Distinguishes this API process from an earlier one: its in-progress keys were abandoned by a crash. */
const BOOT = randomBytes(8).toString('hex');
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key header (IETF httpapi draft) on every POST: the first request with a key runs and its result
 * is kept for a day; a retry with the same key, method, URL and body gets that result again without acting; the
 * same key with another request is 422 IDEMPOTENCY_KEY_REUSED, and while the first still runs, 409.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly group: GroupCommit,
    private readonly reflector: Reflector,
    private readonly keys: IdempotencyKeyRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest & WithBodyDigest>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (request.method !== 'POST' || header === undefined) return next.handle();
    return from(this.once(context, request, parseKey(header), next));
  }

  private async once(
    context: ExecutionContext,
    request: AuthenticatedRequest & WithBodyDigest,
    key: string,
    next: CallHandler,
  ): Promise<unknown> {
    const owner = request.principal?.id ?? 'anonymous';
    const target = `${request.method} ${request.url}`;
    const body = request.bodyDigest;
    const existing = this.keys.get(owner, key);
    if (existing?.state === 'done') {
      body?.drain();
      const digest = await body?.digest;
      if (existing.request_target !== target || existing.request_digest !== digest) {
        throw new DomainError(
          ErrorCode.IDEMPOTENCY_KEY_REUSED,
          'this Idempotency-Key was used for another request; use a new key for a new request',
          {
            first_request: existing.request_target,
          },
        );
      }
      context.switchToHttp().getResponse<FastifyReply>().header('idempotent-replayed', 'true');
      return existing.response_body === null ? undefined : JSON.parse(existing.response_body);
    }
    if (!(await this.group.run(() => this.keys.begin(owner, key, target, BOOT)))) {
      body?.drain();
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_IN_USE,
        'a request with this Idempotency-Key is still in progress; retry it once that one has finished',
      );
    }
    let result: unknown;
    try {
      result = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (err) {
      await this.group.run(() => this.keys.abandon(owner, key));
      throw err;
    }
    const digest = await body?.digest;
    if (digest === null || digest === undefined) {
      // The body never arrived whole (cannot happen after a handler that read it): do not remember a result for it.
      await this.group.run(() => this.keys.abandon(owner, key));
      return result;
    }
    const status = this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? 201;
    await this.group.run(() => this.keys.complete(owner, key, digest, status, JSON.stringify(result ?? null)));
    return result;
  }
}

/** An sf-string (`"…"`, as the draft has it) or, leniently, the bare value; printable ASCII, at most 255 characters. */
function parseKey(header: string | string[]): string {
  const raw = Array.isArray(header) ? header.join(',') : header.trim();
  const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (!KEY.test(value)) {
    throw new DomainError(
      ErrorCode.IDEMPOTENCY_KEY_INVALID,
      'Idempotency-Key must be a quoted string of 1 to 255 printable ASCII characters, e.g. Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"',
    );
  }
  return value;
}

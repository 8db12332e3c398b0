import { AsyncLocalStorage } from 'node:async_hooks';

interface RequestContext {
  request_id: string;
}

/**
 * The id of the HTTP request being served, for code far from the request (the outbox puts it into job payloads,
 * so the worker's job lines carry it). Node built-ins only: libs/db imports this file.
 */
const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ request_id: requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.request_id;
}

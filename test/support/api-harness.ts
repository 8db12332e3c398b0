import { Logger } from '@nestjs/common';
import { Agent } from 'undici';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Env } from '@tftsr/config';
import { loadConfig } from '@tftsr/config';
import type { ApiKeyScope, Db } from '@tftsr/db';
import { ApiKeyRepository, DB, generateApiKey } from '@tftsr/db';
import { createApiApp } from '@tftsr/api/bootstrap';
import { ApiConfig } from '@tftsr/api/config/api.config';
import type { RunningApp } from './app-processes';
import { appEnv, REDIS_URL, startApp } from './app-processes';
import { factory } from './factory';
import type { OpenApiDocument } from './openapi-check';
import { badTimes, OpenApiChecker } from './openapi-check';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from './temp-dir';

export { REDIS_URL };

/**
 * Idle connections close on our side well before the server's keep-alive timeout (Fastify: 72 s). Otherwise a
 * call after a long test can reuse a socket the server is closing at that moment, and a POST fails with
 * ECONNRESET (undici does not retry non-idempotent requests).
 */
const client = new Agent({ keepAliveTimeout: 4_000 });

export interface CallOptions {
  /** The API key; defaults to the admin key, null sends none. */
  key?: string | null;
  body?: unknown;
  /** Sent as is: malformed JSON, an upload's bytes, or a multipart FormData. */
  rawBody?: string | Buffer | FormData;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;

  body: any;
  headers: Headers;
}

export interface TestApi {
  base: string;
  config: ApiConfig;
  app: NestFastifyApplication;
  db: Db;
  dataDir: string;
  adminKey: string;
  openapi: OpenApiChecker;
  /** Calls the API over HTTP; every answer must be one the OpenAPI document declares, or the call throws. */
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** POST /v1/issues with the factory's defaults; fails the test unless it answers 201. */
  createIssue(overrides?: Record<string, unknown>): Promise<Record<string, any>>;
  /** A new key with these scopes, written straight into the database. */
  createKey(name: string, scopes: ApiKeyScope[]): string;
  /** The built worker as a real process on this API's data directory, key, Redis and queue prefix; `env` adds or overrides. */
  startWorker(env?: Record<string, string>): RunningApp;
  close(): Promise<void>;
}

/** The real app (createApiApp) on a temporary encrypted database and the real Redis, listening on a free port. */
export async function startTestApi(label: string, env: Env = {}): Promise<TestApi> {
  Logger.overrideLogger(['error', 'warn']);
  const temp = makeTempDir(`tftsr-${label}-`);
  const adminKey = generateApiKey();
  const config = loadConfig(ApiConfig, {
    NODE_ENV: 'test',
    TFTSR_DATA_DIR: temp.dir,
    TFTSR_DB_KEY: TEST_KEY,
    REDIS_URL,
    TFTSR_QUEUE_PREFIX: uniqueQueuePrefix(label),
    TFTSR_BOOTSTRAP_API_KEY: adminKey,
    TFTSR_RATE_LIMIT_BURST: '100000',
    // Every test calls from 127.0.0.1; the address limits have their own tests (test/security/address-limits.spec.ts).
    TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
    TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '100000',
    TFTSR_AUTH_FAILURES_PER_MINUTE: '100000',
    ...env,
  });
  const app = await createApiApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const db = app.get<Db>(DB);
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDocument;
  const openapi = new OpenApiChecker(doc);
  const keys = new ApiKeyRepository(db);

  return {
    base,
    config,
    app,
    db,
    dataDir: temp.dir,
    adminKey,
    openapi,
    async call(method, path, options = {}) {
      const key = options.key === undefined ? adminKey : options.key;
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | Buffer | FormData | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (typeof body === 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${path}`, { method, headers, body, dispatcher: client });
      const text = await response.text();
      const parsed = text ? JSON.parse(text) : null;
      const problems = [
        ...openapi.check(method, path, response.status, parsed, response.headers),
        ...badTimes(parsed).map((p) => `${method} ${path}: ${p}`),
        ...(response.status === 415 && !namesAcceptedTypes(parsed)
          ? [`${method} ${path}: a 415 that does not name the accepted types`]
          : []),
      ];
      if (problems.length > 0) throw new Error(`${problems.join('\n')}\nbody: ${text.slice(0, 500)}`);
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async createIssue(this: TestApi, overrides = {}) {
      const result = await this.call('POST', '/v1/issues', { body: factory.issue(overrides) });
      if (result.status !== 201) throw new Error(`creating an issue answered ${result.status}: ${JSON.stringify(result.body)}`);
      return result.body;
    },
    createKey(name, scopes) {
      const key = generateApiKey();
      keys.insertKey(name, key, scopes);
      return key;
    },
    startWorker(env = {}) {
      const shared = { dataDir: temp.dir, queuePrefix: config.TFTSR_QUEUE_PREFIX };
      return startApp('worker', appEnv(shared, { REDIS_URL: config.REDIS_URL, ...env }));
    },
    async close() {
      await app.close();
      temp.remove();
    },
  };
}

/** A 415 lists what would have been taken, in its details, and says so in its message. */
function namesAcceptedTypes(
  body: { error?: { message?: string; details?: { accepted_types?: unknown; accepted_extensions?: unknown } } } | null,
): boolean {
  const accepted = body?.error?.details?.accepted_types ?? body?.error?.details?.accepted_extensions;
  return Array.isArray(accepted) && accepted.length > 0;
}

/**
 * The status of a plain fetch, its body read to the end: an answer left unread (a large document) can keep its
 * connection busy, and the API's close waiting for it.
 */
export async function statusOf(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.status;
}

/** The error code and status of an answer, for one-line assertions. */
export function failure(result: CallResult): [number, string | undefined] {
  return [result.status, result.body?.error?.code];
}

/** Stands for what a beforeAll starts: reading it before then (at a file's top level) fails with a clear message. */
function startedLater<T extends object>(what: string, current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const value = current();
      if (value === undefined) throw new Error(`${what} is not started yet: use it inside a test or a hook`);
      const member: unknown = Reflect.get(value, property, value);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(value) : member;
    },
  });
}

/** A file's variables for the API, or a function of what its earlier hooks started (a fake server's address). */
export type FixtureEnv = Env | (() => Env);

/**
 * The e2e files' one fixture: the API (startTestApi) started before the tests of the enclosing describe and closed
 * after them. Hooks registered after this call run once the API is up.
 */
export function useTestApi(label: string, env: FixtureEnv = {}): TestApi {
  let api: TestApi | undefined;
  beforeAll(async () => {
    api = await startTestApi(label, typeof env === 'function' ? env() : env);
  });
  afterAll(async () => {
    await api?.close();
    api = undefined;
  });
  return startedLater('the test API', () => api);
}

const SLOW_STOP_MS = 10_000;

/** The API and the built worker on it, with the outbox relayed every 200 ms; the worker stops before the API closes. */
export function useTestStack(
  label: string,
  env: FixtureEnv = {},
  workerEnv: Record<string, string> = {},
): { api: TestApi; worker: RunningApp } {
  let api: TestApi | undefined;
  let worker: RunningApp | undefined;
  beforeAll(async () => {
    api = await startTestApi(label, { TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200', ...(typeof env === 'function' ? env() : env) });
    worker = api.startWorker(workerEnv);
  });
  afterAll(async () => {
    const started = Date.now();
    const code = await worker?.stop();
    const stopped = Date.now();
    await api?.close();
    // A slow stop is worth a look, never a failure of the tests above: say which part took the time, and why.
    const [workerMs, apiMs] = [stopped - started, Date.now() - stopped];
    if (workerMs + apiMs > SLOW_STOP_MS) {
      const tail = (worker?.output() ?? '').split('\n').slice(-40).join('\n');
      console.warn(`${label}: stopping took ${workerMs} ms (worker, exit ${code}) + ${apiMs} ms (API); the worker's last lines:\n${tail}`);
    }
    api = worker = undefined;
  });
  return { api: startedLater('the test API', () => api), worker: startedLater('the test worker', () => worker) };
}

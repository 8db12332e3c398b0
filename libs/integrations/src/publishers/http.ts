import sjson from 'secure-json-parse';
import type { Response } from 'undici';
import type { IntegrationHttp } from '../integration-http';
import type { CallLabel, Scrubber } from './http-errors';
import { describeCall, isRecord, scrubberFor, statusError, transportError } from './http-errors';
import { PublishError } from './types';

export { parseRetryAfter } from './http-errors';

/** Per-publisher limits; the defaults suit production, tests shorten the timeout. */
export interface PublisherHttpOptions {
  /** The whole call (connect, headers, body), in ms. Default 30 s. */
  timeoutMs?: number;
  /** Bytes of answer read at most; a larger answer is abandoned. Default 1 MiB. */
  maxResponseBytes?: number;
  /** The clock a Retry-After HTTP date is measured against (tests pin it). */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JsonClientConfig extends PublisherHttpOptions {
  /** Service name for messages: `Confluence`, `ServiceNow`, `Azure DevOps`. */
  service: string;
  /** Scrubbed from every excerpt of a remote answer, with their URL and base64 encodings. */
  secrets: readonly string[];
  /**
   * Azure DevOps answers a bad PAT with 203 and an HTML sign-in page, and sometimes 200 with HTML: with this
   * set, both are auth errors instead of bad responses.
   */
  signInPageIsAuth?: boolean;
}

export interface JsonCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: URL;
  /** The Authorization header value; computed per call so a missing user name fails before anything is sent. */
  authorization: string;
  body?: unknown;
  /** Default application/json. */
  contentType?: string;
  /** Statuses handed back instead of thrown, for answers the caller interprets (Confluence's duplicate title). */
  passStatuses?: readonly number[];
}

export interface JsonReply {
  status: number;
  /** The parsed JSON (null for an empty body); for a passed error status, null unless it was JSON. */
  body: unknown;
  /** The raw text, for passed statuses. */
  text: string;
  headers: Headers;
}

/** Why the call's AbortController fired: distinguishes our timeout and size cap from other failures. */
const TIMED_OUT = new Error('timed out');
const TOO_LARGE = new Error('response too large');

/**
 * One JSON request at a time on top of IntegrationHttp: a total timeout, a capped body, no redirects, and every
 * failure turned into a PublishError whose message names the call but never the secret or what was sent.
 */
export class JsonClient {
  private readonly scrub: Scrubber;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly now: () => number;

  constructor(
    private readonly http: IntegrationHttp,
    private readonly config: JsonClientConfig,
  ) {
    this.scrub = scrubberFor(config.secrets);
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBytes = config.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    this.now = config.now ?? Date.now;
  }

  async call(call: JsonCall): Promise<JsonReply> {
    const label: CallLabel = { service: this.config.service, method: call.method, url: call.url };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(TIMED_OUT), this.timeoutMs);
    try {
      const response = await this.send(call, controller.signal);
      const text = await this.readCapped(response, controller);
      return this.interpret(label, call, response, text);
    } catch (err) {
      throw this.failure(label, err, controller.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Builds the PublishError a caller wants for a status it asked to see (see `passStatuses`). */
  errorFor(call: JsonCall, reply: JsonReply): PublishError {
    return statusError(
      { service: this.config.service, method: call.method, url: call.url },
      reply.status,
      reply.text,
      reply.headers,
      this.scrub,
      this.now(),
    );
  }

  private send(call: JsonCall, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', authorization: call.authorization };
    if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
    return this.http.fetch(call.url, {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal,
    });
  }

  /** Reads at most maxBytes; a remote that sends more is cut off rather than buffered (API10: untrusted answers). */
  private async readCapped(response: Response, controller: AbortController): Promise<string> {
    if (Number(response.headers.get('content-length') ?? '0') > this.maxBytes) {
      controller.abort(TOO_LARGE);
      throw TOO_LARGE;
    }
    if (!response.body) return '';
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > this.maxBytes) {
        controller.abort(TOO_LARGE);
        throw TOO_LARGE;
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private interpret(label: CallLabel, call: JsonCall, response: Response, text: string): JsonReply {
    const { status } = response;
    const headers = response.headers;
    const reply: JsonReply = { status, body: null, text, headers };
    if (this.config.signInPageIsAuth && status === 203) throw this.signInPage(label, status);
    if (call.passStatuses?.includes(status)) return { ...reply, body: tryParse(text) };
    if (status < 200 || status >= 300) throw statusError(label, status, text, headers, this.scrub, this.now());
    if (text.trim() === '') return reply;
    const body = tryParse(text);
    if (body === undefined) {
      if (this.config.signInPageIsAuth) throw this.signInPage(label, status);
      throw new PublishError(
        'bad_response',
        `${describeCall(label)} answered ${status} with a body that is not JSON (${response.headers.get('content-type') ?? 'no content type'})`,
        status,
      );
    }
    return { ...reply, body };
  }

  private signInPage(label: CallLabel, status: number): PublishError {
    return new PublishError(
      'auth',
      `${describeCall(label)} answered ${status} with a sign-in page instead of JSON: the credential was rejected; check the personal access token and whether it has expired`,
      status,
    );
  }

  private failure(label: CallLabel, err: unknown, signal: AbortSignal): PublishError {
    if (err instanceof PublishError) return err;
    if (signal.aborted && signal.reason === TIMED_OUT) {
      return new PublishError('timeout', `${describeCall(label)} got no complete answer within ${this.timeoutMs} ms`);
    }
    if (signal.aborted && signal.reason === TOO_LARGE) {
      return new PublishError(
        'bad_response',
        `${describeCall(label)} answered with more than ${this.maxBytes} bytes; the answer was abandoned`,
      );
    }
    return transportError(label, err, this.scrub);
  }
}

/** JSON with prototype poisoning stripped (remote answers are untrusted); undefined when not JSON. */
function tryParse(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch {
    return undefined;
  }
}

/** What a remote might echo back: the secret and the header's credential part (e.g. base64 of `user:secret`). */
export function secretsOf(secret: string, authorization: string): string[] {
  return [secret, authorization, authorization.replace(/^\S+\s+/, '')];
}

/** `Basic base64(user:secret)`, UTF-8 as every one of the three services expects. */
export function basicAuth(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
}

/**
 * base + path + query. The base keeps its own path (`https://api.atlassian.com/ex/confluence/<cloudId>`,
 * `https://dev.azure.com/<org>`); `path` must already be encoded segment by segment.
 */
export function endpoint(base: URL, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
}

/** Reads a field of an answer that must be there; a missing one is the service's fault, said in words. */
export function field<T>(label: string, value: unknown, key: string, check: (v: unknown) => v is T): T {
  const found = isRecord(value) ? value[key] : undefined;
  if (!check(found)) throw new PublishError('bad_response', `${label}: the answer has no usable "${key}"`);
  return found;
}

export const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isObject = (v: unknown): v is Record<string, unknown> => isRecord(v);
export const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

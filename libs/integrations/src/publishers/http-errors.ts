import type { PublishErrorKind } from './types';
import { PublishError } from './types';

/** What a call was, for messages: never the headers, the query (it may carry a title) or the body. */
export interface CallLabel {
  service: string;
  method: string;
  url: URL;
}

const EXCERPT_CHARS = 200;

/** `Confluence POST /wiki/api/v2/pages`: enough for an operator to find the call, nothing more. */
export function describeCall(call: CallLabel): string {
  return `${call.service} ${call.method} ${call.url.pathname}`;
}

/** Both forms of Retry-After: delta-seconds, or an HTTP date (relative to `now`, never negative). */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** One status, one kind: the processor decides retry vs. fail on the kind alone. */
export function kindForStatus(status: number): PublishErrorKind {
  if (status >= 300 && status < 400) return 'blocked';
  switch (status) {
    case 401:
      return 'auth';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 408:
      return 'timeout';
    case 409:
      return 'conflict';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
  }
  return status >= 500 ? 'server' : 'bad_request';
}

const STATUS_HINTS: Partial<Record<PublishErrorKind, string>> = {
  auth: 'the credential was rejected; check the user name and secret, and whether it has expired',
  forbidden: 'the account is not allowed to do this; check its permissions',
  not_found: 'not found; check the base URL, the space, project or table, and that the account can see it',
  conflict: 'someone else changed the object at the same time',
  rate_limited: 'rate limited by the service',
  unavailable: 'the service is temporarily unavailable',
  server: 'the service failed',
  timeout: 'the service timed out',
  bad_request: 'the service rejected the request',
};

/** A remote's non-2xx answer, with at most a short, scrubbed excerpt of what it said. */
export function statusError(call: CallLabel, status: number, text: string, headers: Headers, scrub: Scrubber, now: number): PublishError {
  const kind = kindForStatus(status);
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);
  if (kind === 'blocked') {
    const location = safeLocation(headers.get('location'), call.url);
    return new PublishError(
      kind,
      `${describeCall(call)} answered ${status} with a redirect${location ? ` to ${location}` : ''}; redirects are never followed, so check the base URL`,
      status,
    );
  }
  const wait = retryAfterMs !== undefined ? ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)` : '';
  const said = remoteExcerpt(text, scrub);
  const message = `${describeCall(call)} answered ${status}: ${STATUS_HINTS[kind]}${wait}${said ? `. The service said: "${said}"` : ''}`;
  return new PublishError(kind, message, status, retryAfterMs);
}

/** Where a redirect pointed: origin and path only, since a query could carry anything. */
function safeLocation(location: string | null, base: URL): string | null {
  if (!location) return null;
  try {
    const url = new URL(location, base);
    return `${url.origin}${url.pathname}`.slice(0, EXCERPT_CHARS);
  } catch {
    return null;
  }
}

/** The part of an error body a human reads: the JSON message fields of the three services, else the text. */
export function remoteExcerpt(text: string, scrub: Scrubber): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  let excerpt = jsonMessage(trimmed) ?? trimmed.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
  excerpt = scrub(excerpt.replace(/\s+/g, ' ').trim());
  return excerpt.length > EXCERPT_CHARS ? `${excerpt.slice(0, EXCERPT_CHARS - 1)}…` : excerpt;
}

function jsonMessage(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(body)) return null;
  // Confluence v2: {errors: [{title, detail}]}; v1 and ADO: {message}; ServiceNow: {error: {message, detail}}.
  const first = Array.isArray(body.errors) && isRecord(body.errors[0]) ? body.errors[0] : null;
  const parts = [
    first?.title,
    first?.detail,
    body.message,
    isRecord(body.error) ? body.error.message : body.error,
    isRecord(body.error) ? body.error.detail : undefined,
  ].filter((part): part is string => typeof part === 'string' && part.trim() !== '');
  return parts.length > 0 ? parts.join(' - ') : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type Scrubber = (text: string) => string;

/**
 * Replaces every occurrence of the secrets (and their usual encodings) with [redacted]: a remote may echo them.
 * Strings under 4 characters are skipped: they would shred ordinary words and reveal nothing (real tokens are long).
 */
export function scrubberFor(secrets: readonly string[]): Scrubber {
  const needles = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')]))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text) => needles.reduce((out, needle) => out.split(needle).join('[redacted]'), text);
}

const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH|EPROTO$)/;

/** The cause chain of a failed fetch, flattened: undici wraps the socket error in `TypeError: fetch failed`. */
function causes(err: unknown): Array<{ code?: string; message?: string; name?: string }> {
  const out: Array<{ code?: string; message?: string; name?: string }> = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && isObject(current); depth += 1) {
    out.push(current);
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors)) out.push(...errors.filter(isObject));
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** A failure before or while reading the answer: DNS, TLS, the SSRF guard, or the connection itself. */
export function transportError(call: CallLabel, err: unknown, scrub: Scrubber): PublishError {
  const chain = causes(err);
  const host = call.url.host;
  const found = (test: (code: string) => boolean) => chain.find((c) => typeof c.code === 'string' && test(c.code));
  const blocked = found((code) => code === 'ERR_BLOCKED_ADDRESS');
  if (blocked)
    return new PublishError('blocked', `${describeCall(call)} was not sent: ${scrub(blocked.message ?? 'the address is not allowed')}`);
  const dns = found((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME');
  if (dns) {
    const why = dns.code === 'EAI_AGAIN' ? 'the DNS lookup failed temporarily' : 'the host name does not resolve';
    return new PublishError('dns', `${describeCall(call)} failed: ${why} (${host}, ${dns.code}); check the base URL`);
  }
  const tls = found((code) => TLS_CODE.test(code));
  if (tls)
    return new PublishError(
      'tls',
      `${describeCall(call)} failed: the TLS handshake with ${host} failed (${tls.code}); the certificate is not trusted or the host does not speak HTTPS`,
    );
  const timeout = found(
    (code) =>
      code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT',
  );
  if (timeout) return new PublishError('timeout', `${describeCall(call)} failed: ${host} did not answer in time (${timeout.code})`);
  const coded = chain.find((c) => typeof c.code === 'string');
  const what =
    coded?.code === 'ECONNREFUSED'
      ? 'the connection was refused'
      : coded?.code === 'UND_ERR_SOCKET' || coded?.code === 'ECONNRESET'
        ? 'the connection was closed before the answer was complete'
        : 'the connection failed';
  return new PublishError('network', `${describeCall(call)} failed: ${what} (${host}${coded?.code ? `, ${coded.code}` : ''})`);
}

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the fake saw it. The Authorization value is never kept, only whether it was the expected one. */
export interface RecordedRequest {
  /** The contract operation the route belongs to (`create`, `search`...), or `unknown`. */
  operation: string;
  method: string;
  /** Decoded-free pathname, exactly as sent. */
  path: string;
  query: Record<string, string>;
  /** Date.now() when the request line arrived: lets tests check the spacing of retries. */
  receivedAt: number;
  /** Lower-case header names; `authorization` is removed. */
  headers: Record<string, string>;
  authOk: boolean;
  /** Parsed JSON, else the raw text; undefined when empty. */
  body: unknown;
}

export type FakeFault =
  /** Answer this status (with Retry-After when given, and the service's error body unless `body` or `html` is given). */
  | { status: number; retryAfter?: string; body?: unknown; html?: string }
  /** Never answer; the socket stays open until the fake is closed. */
  | { hang: true }
  /** Do the work (the object is created or changed), then destroy the socket without a response. */
  | { dropAfterCreate: true }
  /**
   * A slow commit: no answer at all, and the request takes effect `commitAfterMs` after it arrived (then the
   * socket is dropped). Searches before that find nothing, as on ServiceNow and Azure DevOps under load.
   */
  | { commitAfterMs: number };

/** Which requests a fault applies to: an operation name, any request, or a predicate. */
export type FaultMatcher<Op extends string> = Op | 'any' | ((request: RecordedRequest) => boolean);

export interface Reply {
  status: number;
  /** JSON unless `html` is set. */
  body?: unknown;
  html?: string;
  headers?: Record<string, string>;
}

/** A matched route: checks first (violations), then the effect. */
export interface Route<Op extends string> {
  operation: Op;
  /** Required request Content-Type (media type only). */
  contentType?: string;
  /** A contract violation in the request (shape, required fields), or null. Answered with 400. */
  validate?: (body: unknown) => string | null;
  handle: (body: unknown) => Reply;
}

export interface RequestContext {
  method: string;
  url: URL;
  /** Path segments after the fake's prefix, percent-decoded. */
  segments: string[];
  query: Record<string, string>;
}

interface PendingFault<Op extends string> {
  matcher: FaultMatcher<Op>;
  fault: FakeFault;
  remaining: number;
}

/**
 * A local stand-in for a remote service: node:http on 127.0.0.1, an ephemeral port, every request recorded and
 * checked against the documented contract. Subclasses declare routes; anything else is a 404 and a violation.
 */
export abstract class FakeServer<Op extends string> {
  readonly requests: RecordedRequest[] = [];
  /** Every contract breach seen; a correct client leaves this empty. */
  readonly violations: string[] = [];
  /** TCP connections accepted (SSRF tests assert 0). */
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private faults: PendingFault<Op>[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Slow commits applied so far (see `commitAfterMs`). */
  lateCommits = 0;

  constructor() {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** `http://127.0.0.1:<port>`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The base URL a client is configured with (subclasses add the path a real base URL has). */
  get baseUrl(): string {
    return this.origin;
  }

  /** The next `times` requests matching `matcher` get `fault` instead of (or, for dropAfterCreate, after) the normal answer. */
  failNext(matcher: FaultMatcher<Op>, fault: FakeFault, times = 1): void {
    this.faults.push({ matcher, fault, remaining: times });
  }

  requestsFor(operation: Op | 'unknown'): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  /** Destroys open sockets (hung requests included) and stops listening. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The exact Authorization header value a correct client sends. */
  protected abstract expectedAuthorization(): string;
  /** What the real service answers to bad credentials. */
  protected abstract authFailure(): Reply;
  /** The service's error body for a status. */
  protected abstract errorBody(status: number, message: string): unknown;
  /** The path prefix of baseUrl (`/fabrikam`), stripped before routing. */
  protected pathPrefix(): string {
    return '';
  }
  protected abstract route(context: RequestContext): Route<Op> | null;

  /** The error text of an injected fault (the ADO fake uses TF400733 for 429, as the real one does). */
  protected faultMessage(status: number): string {
    return MESSAGES[status] ?? `Status ${status}`;
  }

  protected error(status: number, message: string, headers?: Record<string, string>): Reply {
    return { status, body: this.errorBody(status, message), headers };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const raw = await readAll(req);
    const url = new URL(req.url ?? '/', this.origin);
    const query = Object.fromEntries(url.searchParams);
    const { authorization, ...headers } = req.headers as Record<string, string>;
    const parsed = parseBody(raw);
    const record: RecordedRequest = {
      operation: 'unknown',
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      receivedAt,
      headers,
      authOk: authorization === this.expectedAuthorization(),
      body: parsed.value,
    };
    this.requests.push(record);
    const where = `${record.method} ${record.path}`;
    const prefix = this.pathPrefix();
    const route = url.pathname.startsWith(`${prefix}/`)
      ? this.route({ method: record.method, url, segments: segmentsOf(url.pathname.slice(prefix.length)), query })
      : null;
    if (!route) {
      this.violations.push(`${where}: no such route in the contract`);
      return send(res, this.error(404, `No route for ${where}`));
    }
    record.operation = route.operation;
    const failure = this.check(record, route, parsed, where);
    const fault = this.takeFault(record);
    if (fault && 'hang' in fault) return;
    if (fault && 'status' in fault) {
      const faultHeaders = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : undefined;
      if (fault.body !== undefined || fault.html !== undefined)
        return send(res, { status: fault.status, body: fault.body, html: fault.html, headers: faultHeaders });
      return send(res, this.error(fault.status, this.faultMessage(fault.status), faultHeaders));
    }
    if (failure) return send(res, failure);
    if (fault && 'commitAfterMs' in fault) {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          route.handle(parsed.value);
          this.lateCommits += 1;
          req.socket.destroy();
        },
        Math.max(0, receivedAt + fault.commitAfterMs - Date.now()),
      );
      this.timers.add(timer);
      return;
    }
    const reply = route.handle(parsed.value);
    if (fault && 'dropAfterCreate' in fault) {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  /** Auth, media types and body shape; each breach is a violation and gets the status the real service gives. */
  private check(record: RecordedRequest, route: Route<Op>, parsed: ParsedBody, where: string): Reply | null {
    if (!record.authOk) {
      this.violations.push(`${where}: the Authorization header is not the expected one`);
      return this.authFailure();
    }
    if (!(record.headers.accept ?? '').includes('application/json')) this.violations.push(`${where}: Accept is not application/json`);
    if (route.contentType) {
      const got = (record.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (got !== route.contentType) {
        this.violations.push(`${where}: Content-Type is ${got || 'missing'}, expected ${route.contentType}`);
        return this.error(415, `Content-Type ${got || '(none)'} is not supported; expected ${route.contentType}`);
      }
      if (!parsed.json) {
        this.violations.push(`${where}: the body is not JSON`);
        return this.error(400, 'The request body is not valid JSON');
      }
    }
    const problem = route.validate?.(parsed.value) ?? null;
    if (problem) {
      this.violations.push(`${where}: ${problem}`);
      return this.error(400, problem);
    }
    return null;
  }

  private takeFault(record: RecordedRequest): FakeFault | null {
    const pending = this.faults.find((f) => f.remaining > 0 && matches(f.matcher, record));
    if (!pending) return null;
    pending.remaining -= 1;
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return pending.fault;
  }
}

function matches<Op extends string>(matcher: FaultMatcher<Op>, record: RecordedRequest): boolean {
  if (typeof matcher === 'function') return matcher(record);
  return matcher === 'any' || matcher === record.operation;
}

interface ParsedBody {
  value: unknown;
  json: boolean;
}

function parseBody(raw: string): ParsedBody {
  if (raw === '') return { value: undefined, json: false };
  try {
    return { value: JSON.parse(raw), json: true };
  } catch {
    return { value: raw, json: false };
  }
}

function segmentsOf(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const isHtml = reply.html !== undefined;
  const payload = isHtml ? reply.html! : reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': isHtml ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...reply.headers,
  });
  res.end(payload);
}

const MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/** Small shape checks shared by the fakes' validators. */
export const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

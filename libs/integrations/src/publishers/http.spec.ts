import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LookupFn } from '../guarded-lookup';
import { IntegrationHttp } from '../integration-http';
import { basicAuth, endpoint, JsonClient, secretsOf } from './http';
import { parseRetryAfter, transportError } from './http-errors';
import type { PublishErrorKind } from './types';
import { PublishError } from './types';

const CANARY = 'canary-Secret-7f3a9c-do-not-leak';
const AUTHORIZATION = basicAuth('ops@example.com', CANARY);
const FORMS = [
  CANARY,
  AUTHORIZATION,
  AUTHORIZATION.slice('Basic '.length),
  encodeURIComponent(CANARY),
  Buffer.from(CANARY).toString('base64'),
];

/**
 * A remote at its worst: every error answer echoes the Authorization header and the request body back, so a
 * client that copied remote text blindly would leak the secret.
 */
async function hostileRemote() {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => void answer(req, res));
  server.on('connection', (s: Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const echo = `you sent ${req.headers.authorization} with ${Buffer.concat(chunks).toString()}`;
  const [, route, arg] = (req.url ?? '').split('/');
  switch (route) {
    case 'status':
      res.writeHead(Number(arg), { 'content-type': 'application/json', 'retry-after': '7' });
      return void res.end(JSON.stringify({ message: echo }));
    case 'html':
      res.writeHead(Number(arg), { 'content-type': 'text/html' });
      return void res.end(`<html><body><h1>Error</h1><p>${echo}</p></body></html>`);
    case 'redirect':
      res.writeHead(302, { location: `http://169.254.169.254/latest?token=${CANARY}` });
      return void res.end(echo);
    case 'not-json':
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end(`<p>${echo}</p>`);
    case 'big':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"echo":"${echo}","pad":"`);
      return void res.end(`${'x'.repeat(1024 * 1024 + 10)}"}`);
    case 'big-declared':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) });
      return void res.write('{');
    case 'drop':
      return void req.socket.destroy();
    case 'mid':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
      res.write(`{"echo":"${echo}`);
      return void setTimeout(() => req.socket.destroy(), 20);
    case 'hang':
      return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
}

/** Everything an error exposes when logged or serialised. */
function exposed(err: PublishError): string {
  return JSON.stringify({
    ...err,
    message: err.message,
    stack: err.stack,
    kind: err.kind,
    status: err.status,
    retryAfterMs: err.retryAfterMs,
  });
}

function expectNoSecret(err: PublishError): void {
  const text = exposed(err);
  for (const form of FORMS) expect(text).not.toContain(form);
}

const failWith: LookupFn = (hostname, _options, callback) =>
  callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
const toLoopback: LookupFn = (_hostname, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);

describe('JsonClient failures', () => {
  let remote: Awaited<ReturnType<typeof hostileRemote>>;
  let http: IntegrationHttp;
  let sut: JsonClient;

  beforeAll(async () => {
    remote = await hostileRemote();
    http = new IntegrationHttp({ allowedAddresses: ['127.0.0.1/32'] });
    sut = new JsonClient(http, {
      service: 'Test',
      secrets: secretsOf(CANARY, AUTHORIZATION),
      // Long enough for an answer on a loaded CI machine (300 ms was not); only /hang waits it out.
      timeoutMs: 3000,
      now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'),
    });
  });
  afterAll(async () => {
    await http.close();
    await remote.close();
  });

  const post = (client: JsonClient, url: string) =>
    client.call({ method: 'POST', url: new URL(url), authorization: AUTHORIZATION, body: { token: CANARY } });
  const failure = async (promise: Promise<unknown>): Promise<PublishError> => {
    const err = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PublishError);
    return err as PublishError;
  };

  it.each<[number, PublishErrorKind]>([
    [400, 'bad_request'],
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [409, 'conflict'],
    [413, 'bad_request'],
    [422, 'bad_request'],
    [429, 'rate_limited'],
    [500, 'server'],
    [502, 'server'],
    [503, 'unavailable'],
  ])('maps %i to %s, names the call and status, and never repeats the echoed secret', async (status, kind) => {
    const err = await failure(post(sut, `http://127.0.0.1:${remote.port}/status/${status}`));
    expect(err).toMatchObject({ kind, status, retryAfterMs: 7000 });
    expect(err.message).toContain(`Test POST /status/${status} answered ${status}`);
    expect(err.message).toContain('[redacted]');
    expectNoSecret(err);
  });

  it('keeps at most ~200 characters of an HTML error page, tags stripped', async () => {
    const err = await failure(post(sut, `http://127.0.0.1:${remote.port}/html/500`));
    expect(err.kind).toBe('server');
    expect(err.message).not.toContain('<');
    expect(err.message.length).toBeLessThan(400);
    expectNoSecret(err);
  });

  it.each<[string, PublishErrorKind]>([
    ['redirect', 'blocked'],
    ['not-json', 'bad_response'],
    ['big', 'bad_response'],
    ['big-declared', 'bad_response'],
    ['drop', 'network'],
    ['mid', 'network'],
    ['hang', 'timeout'],
  ])('maps /%s to %s without the secret', async (route, kind) => {
    const err = await failure(post(sut, `http://127.0.0.1:${remote.port}/${route}`));
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(`Test POST /${route}`);
    expectNoSecret(err);
  });

  it('refuses a name that resolves to a blocked address before any packet, as kind blocked', async () => {
    const guarded = new IntegrationHttp({ resolve: toLoopback });
    const err = await failure(
      post(new JsonClient(guarded, { service: 'Test', secrets: [CANARY] }), `http://remote.example.test:${remote.port}/`),
    );
    await guarded.close();
    expect(err.kind).toBe('blocked');
    expect(err.message).toContain('loopback');
    expectNoSecret(err);
  });

  it('says the host does not resolve, as kind dns', async () => {
    const unresolvable = new IntegrationHttp({ resolve: failWith });
    const err = await failure(post(new JsonClient(unresolvable, { service: 'Test', secrets: [CANARY] }), 'https://nowhere.example.test/'));
    await unresolvable.close();
    expect(err).toMatchObject({ kind: 'dns' });
    expect(err.message).toContain('nowhere.example.test');
    expectNoSecret(err);
  });

  it('reports a TLS handshake failure as kind tls (https to a plain-HTTP listener)', async () => {
    const err = await failure(post(sut, `https://127.0.0.1:${remote.port}/`));
    expect(err.kind).toBe('tls');
    expectNoSecret(err);
  });

  it('reports a refused connection as kind network', async () => {
    const closed = await hostileRemote();
    await closed.close();
    const err = await failure(post(sut, `http://127.0.0.1:${closed.port}/`));
    expect(err.kind).toBe('network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('classifies certificate and temporary DNS errors from the cause chain', () => {
    const label = { service: 'Test', method: 'GET', url: new URL('https://x.example.test/a') };
    const wrapped = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
    const scrub = (t: string) => t;
    expect(transportError(label, wrapped('CERT_HAS_EXPIRED'), scrub).kind).toBe('tls');
    expect(transportError(label, wrapped('ERR_TLS_CERT_ALTNAME_INVALID'), scrub).kind).toBe('tls');
    expect(transportError(label, wrapped('EAI_AGAIN'), scrub).kind).toBe('dns');
    expect(transportError(label, wrapped('UND_ERR_CONNECT_TIMEOUT'), scrub).kind).toBe('timeout');
    expect(transportError(label, wrapped('ECONNRESET'), scrub).kind).toBe('network');
  });

  it('returns parsed JSON on success', async () => {
    const reply = await sut.call({ method: 'GET', url: new URL(`http://127.0.0.1:${remote.port}/ok`), authorization: AUTHORIZATION });
    expect(reply).toMatchObject({ status: 200, body: { ok: true } });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads delta-seconds', () => expect(parseRetryAfter('7', now)).toBe(7000));
  it('reads an HTTP date relative to now', () => expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000));
  it('never goes negative for a date in the past', () => expect(parseRetryAfter('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0));
  it('ignores garbage and absence', () => {
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('endpoint', () => {
  it('keeps the base path, drops its trailing slash and sets the query', () => {
    expect(endpoint(new URL('https://dev.azure.com/org/'), '/My%20Project/_apis/x', { 'api-version': '7.1' }).href).toBe(
      'https://dev.azure.com/org/My%20Project/_apis/x?api-version=7.1',
    );
  });
});

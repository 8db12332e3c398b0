import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { failure, useTestStack } from '../support/api-harness';
import { closedRedactedText, streamsOf } from '../support/log-streams';

const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
 
const json = (response: Response): Promise<any> => response.json();
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('log shippers: Loki push, _bulk and NDJSON lines, with real clients and the real worker', () => {
  const { api, worker } = useTestStack('shippers');
  let ingestKey: string;

  beforeAll(async () => {
    ingestKey = api.createKey('shipper', ['ingest']);
    expect((await api.call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { body: { value: 1 } })).status).toBe(200);
  });

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${api.base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ingestKey}`, ...headers }, body });
  const streams = (issueId: string) => streamsOf(api, issueId);
  const closedAndScanned = (issueId: string, lines: number) => closedRedactedText(api, worker, issueId, lines);

  it('takes NDJSON lines (gzip, Bearer), closes the idle chunk into a scanned log file, and redacts the planted secrets', async () => {
    const issue = await api.createIssue();
    const lines = [`{"msg":"login","user":"${EMAIL}"}`, `{"msg":"deploy","aws_access_key_id":"${AWS_KEY}"}`, '{"msg":"ok"}'];
    const response = await post(`/v1/issues/${issue.id}/log-streams/web-1`, gzipSync(`${lines.join('\n')}\n`), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect([response.status, await json(response)]).toEqual([200, { issue_id: issue.id, stream: 'web-1', accepted_lines: 3 }]);
    const open = await streams(issue.id);
    expect(open).toMatchObject([{ name: 'web-1', source: 'lines', chunks: [{ state: 'open', lines: 3, bytes: Buffer.byteLength(`${lines.join('\n')}\n`) }] }]);

    const { text, types } = await closedAndScanned(issue.id, 3);
    expect(types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    expect(text).toContain('"msg":"ok"');
    for (const secret of [EMAIL, AWS_KEY]) expect(text).not.toContain(secret);
  });

  it('describes the shipper routes in the OpenAPI document, and the lines route answers as described', async () => {
    expect(Object.keys(api.openapi.doc.paths)).toEqual(expect.arrayContaining(['/v1/issues/{id}/log-streams/{stream}', '/loki/api/v1/push', '/_bulk', '/{index}/_bulk', '/']));
    const issue = await api.createIssue();
    const path = `/v1/issues/${issue.id}/log-streams/doc`;
    const ok = await post(path, 'one line\n');
    expect(api.openapi.check('POST', path, ok.status, await json(ok), ok.headers)).toEqual([]);
    const refused = await fetch(`${api.base}${path}`, { method: 'POST', body: 'x\n' });
    expect(api.openapi.check('POST', path, refused.status, await json(refused), refused.headers)).toEqual([]);
  });

  it('takes pino-loki pushes (JSON, Basic auth with the key as password); the tftsr_issue label picks the issue', async () => {
    const issue = await api.createIssue();
    const stream = pinoLoki({ host: api.base, basicAuth: { username: 'promtail', password: ingestKey }, labels: { app: 'checkout', tftsr_issue: issue.id }, batching: false });
    const logger = pino({}, stream);
    logger.info({ user: EMAIL }, 'card paid');
    logger.warn(`aws_access_key_id=${AWS_KEY}`);
    const { text, types, chunks } = await closedAndScanned(issue.id, 2);
    stream.end();
    expect(chunks.reduce((n, c) => n + c.lines, 0)).toBe(2);
    expect((await streams(issue.id))[0]).toMatchObject({ source: 'loki', name: expect.stringContaining('app="checkout"') });
    expect(types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    expect(text).toContain('card paid');
    for (const secret of [EMAIL, AWS_KEY]) expect(text).not.toContain(secret);
  });

  it('takes winston-loki pushes (protobuf with snappy)', async () => {
    const issue = await api.createIssue();
    const transport = new LokiTransport({ host: api.base, basicAuth: `shipper:${ingestKey}`, labels: { job: 'billing', tftsr_issue: issue.id }, batching: false, json: false });
    const logger = winston.createLogger({ transports: [transport] });
    logger.info(`mail ${EMAIL} key ${AWS_KEY}`);
    const { text, types } = await closedAndScanned(issue.id, 1);
    logger.close();
    expect(types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    for (const secret of [EMAIL, AWS_KEY]) expect(text).not.toContain(secret);
    expect((await streams(issue.id))[0].name).toContain('job="billing"');
  });

  it('answers _bulk like Elasticsearch: ApiKey auth, items per action, errors for unknown indices and updates', async () => {
    const issue = await api.createIssue();
    const probe = await fetch(`${api.base}/`);
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-elastic-product')).toBe('Elasticsearch');
    expect((await json(probe)).version.number).toMatch(/^8\./);
    const body = [
      JSON.stringify({ index: {} }),
      JSON.stringify({ message: `user ${EMAIL}`, host: { name: 'db-1' } }),
      JSON.stringify({ create: { _index: 'tftsr-0190b6c4-1a2b-7c3d-8e4f-0123456789ab' } }),
      JSON.stringify({ message: 'lost' }),
      JSON.stringify({ update: { _id: 'x' } }),
      JSON.stringify({ doc: {} }),
      '',
    ].join('\n');
    const response = await fetch(`${api.base}/tftsr-${issue.id}/_bulk`, {
      method: 'POST',
      headers: { authorization: `ApiKey ${b64(`id-1:${ingestKey}`)}`, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(response.status).toBe(200);
    const answer = await json(response);
    expect(answer).toMatchObject({ errors: true, took: expect.any(Number) });
    expect(answer.items.map((i: Record<string, { status: number }>) => Object.entries(i).map(([op, v]) => [op, v.status])[0])).toEqual([
      ['index', 201],
      ['create', 404],
      ['update', 400],
    ]);
    expect(await streams(issue.id)).toMatchObject([{ name: 'bulk-db-1', source: 'bulk', chunks: [{ lines: 1 }] }]);
  });

  it('refuses in each protocol\'s own shape: 401 without a key, 403 for a key without ingest, and an ingest key elsewhere', async () => {
    const issue = await api.createIssue();
    const reader = api.createKey('reader-only', ['read']);
    const loki = await fetch(`${api.base}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[]}' });
    expect([loki.status, loki.headers.get('content-type'), await loki.text()]).toEqual([401, 'text/plain; charset=utf-8', expect.stringMatching(/^UNAUTHENTICATED: /)]);
    const es = await fetch(`${api.base}/_bulk`, { method: 'POST', headers: { authorization: `Basic ${b64(`elastic:${reader}`)}` }, body: '{"index":{}}\n{}\n' });
    expect([es.status, (await json(es)).error.type]).toEqual([403, 'security_exception']);
    const lines = await fetch(`${api.base}/v1/issues/${issue.id}/log-streams/s`, { method: 'POST', headers: { authorization: 'Bearer tftsr_not-a-key-at-all-0000000000000' }, body: 'x\n' });
    expect([lines.status, (await json(lines)).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(failure(await api.call('GET', `/v1/issues/${issue.id}`, { key: ingestKey }))).toEqual([403, 'FORBIDDEN']);
    expect(await streams(issue.id)).toEqual([]);
  });

  it('refuses bad bodies with 4xx and writes nothing: no tftsr_issue label, unknown issue, broken gzip, a gzip bomb', async () => {
    const issue = await api.createIssue();
    const noIssue = await post('/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { app: 'x' }, values: [['1', 'line']] }] }), { 'content-type': 'application/json' });
    expect([noIssue.status, await noIssue.text()]).toEqual([400, expect.stringMatching(/^INVALID_INGEST_BODY: .*tftsr_issue/)]);
    const unknown = await post('/v1/issues/0190b6c4-1a2b-7c3d-8e4f-0123456789ab/log-streams/s', 'x\n');
    expect([unknown.status, (await json(unknown)).error.code]).toEqual([404, 'ISSUE_NOT_FOUND']);
    const broken = await post(`/v1/issues/${issue.id}/log-streams/s`, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect([broken.status, (await json(broken)).error.code]).toEqual([400, 'INVALID_INGEST_BODY']);
    const bomb = await post(`/v1/issues/${issue.id}/log-streams/s`, gzipSync(Buffer.alloc(8 * 1024 * 1024, 'a')), { 'content-encoding': 'gzip' });
    expect([bomb.status, (await json(bomb)).error.code]).toEqual([413, 'UPLOAD_TOO_LARGE']);
    expect(await streams(issue.id)).toEqual([]);
  });

  it('answers 429 with Retry-After past the scan backlog; a retrying client loses and duplicates nothing', async () => {
    const issue = await api.createIssue();
    await api.call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { body: { value: 3600 } });
    const first = await post(`/v1/issues/${issue.id}/log-streams/bp`, 'line-0\n');
    expect(first.status).toBe(200);
    await api.call('PUT', '/v1/settings/ingest.max_backlog_bytes', { body: { value: 1 } });
    await new Promise((r) => setTimeout(r, 150));
    const refused = await post(`/v1/issues/${issue.id}/log-streams/bp`, 'line-1\n');
    expect([refused.status, refused.headers.get('retry-after'), (await json(refused)).error.code]).toEqual([429, '1', 'INGEST_BACKLOG_FULL']);

    // A client that honours Retry-After, as the shippers do; the backlog clears (the bound is raised) meanwhile.
    let refusals = 0;
    const send = async (line: string) => {
      for (;;) {
        const response = await post(`/v1/issues/${issue.id}/log-streams/bp`, `${line}\n`);
        if (response.status === 200) return;
        expect(response.status).toBe(429);
        refusals += 1;
        await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after')) * 1000));
      }
    };
    const sent = Promise.all([1, 2, 3, 4, 5].map((n) => send(`line-${n}`)));
    await new Promise((r) => setTimeout(r, 300));
    await api.call('PUT', '/v1/settings/ingest.max_backlog_bytes', { body: { value: 1024 ** 3 } });
    await sent;
    expect(refusals).toBeGreaterThanOrEqual(5);
    await api.call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { body: { value: 1 } });
    const { text } = await closedAndScanned(issue.id, 6);
    expect(text.split('\n').filter(Boolean).sort()).toEqual(['line-0', 'line-1', 'line-2', 'line-3', 'line-4', 'line-5']);
  });
});

import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { waitFor } from '../support/app-processes';
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
  /** The append_log_lines audit entries of an issue's streams, oldest first, with their details parsed. */
  const appendAudits = (issueId: string) =>
    (
      api.db
        .prepare(
          `SELECT a.entity_type, a.entity_id, a.user_id, a.details FROM audit_log a JOIN log_streams s ON s.id = a.entity_id
           WHERE a.action = 'append_log_lines' AND s.issue_id = ? ORDER BY a.rowid`,
        )
        .all(issueId) as { entity_type: string; entity_id: string; user_id: string; details: string }[]
    ).map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
  const closedAndScanned = (issueId: string, lines: number) => closedRedactedText(api, worker, issueId, lines);

  it('takes NDJSON lines (gzip, Bearer), closes the idle chunk into a scanned log file, and redacts the planted secrets', async () => {
    const issue = await api.createIssue();
    const lines = [`{"msg":"login","user":"${EMAIL}"}`, `{"msg":"deploy","aws_access_key_id":"${AWS_KEY}"}`, '{"msg":"ok"}'];
    const response = await post(`/v1/issues/${issue.id}/log-streams/web-1`, gzipSync(`${lines.join('\n')}\n`), {
      'content-type': 'application/x-ndjson',
      'content-encoding': 'gzip',
    });
    expect([response.status, await json(response)]).toEqual([200, { issue_id: issue.id, stream: 'web-1', accepted_lines: 3 }]);
    const open = await streams(issue.id);
    const bytes = Buffer.byteLength(`${lines.join('\n')}\n`);
    expect(open).toMatchObject([{ name: 'web-1', source: 'lines', chunks: [{ state: 'open', lines: 3, bytes }] }]);
    // The issue detail shows the same streams and chunks.
    expect((await api.call('GET', `/v1/issues/${issue.id}`)).body.log_streams).toEqual(open);
    // One audit entry for the request, in its transaction: counts and ids, never the lines.
    const [stream] = open as unknown as { id: string; chunks: { id: string }[] }[];
    expect(appendAudits(issue.id)).toEqual([
      {
        entity_type: 'log_stream',
        entity_id: stream.id,
        user_id: 'shipper',
        details: { issue_id: issue.id, stream: 'web-1', lines: 3, bytes, chunk_id: stream.chunks[0].id },
      },
    ]);

    const { text, types } = await closedAndScanned(issue.id, 3);
    expect(types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    expect(text).toContain('"msg":"ok"');
    for (const secret of [EMAIL, AWS_KEY]) expect(text).not.toContain(secret);
    const [closed] = (await api.call('GET', `/v1/issues/${issue.id}`)).body.log_streams[0].chunks;
    expect(closed).toMatchObject({ state: 'closed', log_file_id: expect.any(String), closed_at: expect.stringMatching(/Z$/) });
    expect((await api.call('GET', `/v1/issues/${issue.id}`)).body.log_files.map((f: { id: string }) => f.id)).toEqual([closed.log_file_id]);
  });

  it('describes the shipper routes in the OpenAPI document, and the lines route answers as described', async () => {
    expect(Object.keys(api.openapi.doc.paths)).toEqual(
      expect.arrayContaining(['/v1/issues/{id}/log-streams/{stream}', '/loki/api/v1/push', '/_bulk', '/{index}/_bulk', '/']),
    );
    const issue = await api.createIssue();
    const path = `/v1/issues/${issue.id}/log-streams/doc`;
    const ok = await post(path, 'one line\n');
    expect(api.openapi.check('POST', path, ok.status, await json(ok), ok.headers)).toEqual([]);
    const refused = await fetch(`${api.base}${path}`, { method: 'POST', body: 'x\n' });
    expect(api.openapi.check('POST', path, refused.status, await json(refused), refused.headers)).toEqual([]);
  });

  it('takes pino-loki pushes (JSON, Basic auth with the key as password); the tftsr_issue label picks the issue', async () => {
    const issue = await api.createIssue();
    const stream = pinoLoki({
      host: api.base,
      basicAuth: { username: 'promtail', password: ingestKey },
      labels: { app: 'checkout', tftsr_issue: issue.id },
      batching: false,
    });
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
    // Unbatched, each log call is its own push: one audit entry per request, its line count summing to the lines.
    const audits = appendAudits(issue.id);
    expect(audits.map((a) => a.details.lines)).toEqual([1, 1]);
    expect(JSON.stringify(audits)).not.toContain('card paid');
  });

  it('takes winston-loki pushes (protobuf with snappy)', async () => {
    const issue = await api.createIssue();
    const transport = new LokiTransport({
      host: api.base,
      basicAuth: `shipper:${ingestKey}`,
      labels: { job: 'billing', tftsr_issue: issue.id },
      batching: false,
      json: false,
    });
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
    expect(appendAudits(issue.id).map((a) => a.details)).toEqual([
      { issue_id: issue.id, stream: 'bulk-db-1', lines: 1, bytes: expect.any(Number), chunk_id: expect.any(String) },
    ]);
  });

  it("refuses in each protocol's own shape: 401 without a key, 403 for a key without ingest, and an ingest key elsewhere", async () => {
    const issue = await api.createIssue();
    const reader = api.createKey('reader-only', ['read']);
    const loki = await fetch(`${api.base}/loki/api/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"streams":[]}',
    });
    expect([loki.status, loki.headers.get('content-type'), await loki.text()]).toEqual([
      401,
      'text/plain; charset=utf-8',
      expect.stringMatching(/^UNAUTHENTICATED: /),
    ]);
    const es = await fetch(`${api.base}/_bulk`, {
      method: 'POST',
      headers: { authorization: `Basic ${b64(`elastic:${reader}`)}` },
      body: '{"index":{}}\n{}\n',
    });
    expect([es.status, (await json(es)).error.type]).toEqual([403, 'security_exception']);
    const lines = await fetch(`${api.base}/v1/issues/${issue.id}/log-streams/s`, {
      method: 'POST',
      headers: { authorization: 'Bearer tftsr_not-a-key-at-all-0000000000000' },
      body: 'x\n',
    });
    expect([lines.status, (await json(lines)).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(failure(await api.call('GET', `/v1/issues/${issue.id}`, { key: ingestKey }))).toEqual([403, 'FORBIDDEN']);
    expect(await streams(issue.id)).toEqual([]);
  });

  it('refuses bad bodies with 4xx and writes nothing: no tftsr_issue label, unknown issue, broken gzip, a gzip bomb', async () => {
    const issue = await api.createIssue();
    const noIssue = await post('/loki/api/v1/push', JSON.stringify({ streams: [{ stream: { app: 'x' }, values: [['1', 'line']] }] }), {
      'content-type': 'application/json',
    });
    expect([noIssue.status, await noIssue.text()]).toEqual([400, expect.stringMatching(/^INVALID_INGEST_BODY: .*tftsr_issue/)]);
    const unknown = await post('/v1/issues/0190b6c4-1a2b-7c3d-8e4f-0123456789ab/log-streams/s', 'x\n');
    expect([unknown.status, (await json(unknown)).error.code]).toEqual([404, 'ISSUE_NOT_FOUND']);
    const broken = await post(`/v1/issues/${issue.id}/log-streams/s`, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect([broken.status, (await json(broken)).error.code]).toEqual([400, 'INVALID_INGEST_BODY']);
    const bomb = await post(`/v1/issues/${issue.id}/log-streams/s`, gzipSync(Buffer.alloc(8 * 1024 * 1024, 'a')), {
      'content-encoding': 'gzip',
    });
    expect([bomb.status, (await json(bomb)).error.code]).toEqual([413, 'UPLOAD_TOO_LARGE']);
    expect(await streams(issue.id)).toEqual([]);
    expect(appendAudits(issue.id)).toEqual([]);
  });

  it('answers 429 with Retry-After past the scan backlog; a retrying client loses and duplicates nothing', async () => {
    const issue = await api.createIssue();
    await api.call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { body: { value: 3600 } });
    const first = await post(`/v1/issues/${issue.id}/log-streams/bp`, 'line-0\n');
    expect(first.status).toBe(200);
    await api.call('PUT', '/v1/settings/ingest.max_backlog_bytes', { body: { value: 1 } });
    await new Promise((r) => setTimeout(r, 150));
    const refused = await post(`/v1/issues/${issue.id}/log-streams/bp`, 'line-1\n');
    expect([refused.status, refused.headers.get('retry-after'), (await json(refused)).error.code]).toEqual([
      429,
      '1',
      'INGEST_BACKLOG_FULL',
    ]);

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

  it('counts open chunks and log files against uploads.max_files_per_issue: refuses new chunks per protocol, never a close', async () => {
    const issue = await api.createIssue();
    const setting = async (key: string, value: number) =>
      expect((await api.call('PUT', `/v1/settings/${key}`, { body: { value } })).status).toBe(200);
    const bulkLines = (host: string) =>
      [{ create: {} }, { message: `from ${host}`, host: { name: host } }].map((o) => `${JSON.stringify(o)}\n`).join('');
    const bulk = (hosts: string[]) =>
      post(`/tftsr-${issue.id}/_bulk`, hosts.map(bulkLines).join(''), { 'content-type': 'application/x-ndjson' });
    const itemsOf = async (response: Response) =>
      ((await json(response)).items as Record<string, { status: number; error?: { type: string; reason: string } }>[]).map((i) => i.create);
    await setting('ingest.chunk_idle_seconds', 3600);
    await setting('uploads.max_files_per_issue', 2);
    try {
      expect((await post(`/v1/issues/${issue.id}/log-streams/a`, 'a-1\n')).status).toBe(200);
      expect((await bulk(['db-1'])).status).toBe(200);

      // Two open chunks fill the issue: their streams still append, a new stream is refused.
      const mixed = await bulk(['db-1', 'db-2']);
      expect(mixed.status).toBe(200);
      const [kept, refused] = await itemsOf(mixed);
      expect(kept.status).toBe(201);
      expect(refused).toMatchObject({
        status: 400,
        error: { type: 'validation_exception', reason: expect.stringMatching(/^TOO_MANY_FILES: .*uploads\.max_files_per_issue/) },
      });
      expect((await post(`/v1/issues/${issue.id}/log-streams/a`, 'a-2\n')).status).toBe(200);
      const lines = await post(`/v1/issues/${issue.id}/log-streams/b`, 'b-1\n');
      expect([lines.status, (await json(lines)).error]).toEqual([
        409,
        { code: 'TOO_MANY_FILES', message: expect.stringContaining('stream b'), details: { limit: 2, files: 2, stream: 'b' } },
      ]);
      const push = { streams: [{ stream: { job: 'late', tftsr_issue: issue.id }, values: [['1', 'x']] }] };
      const loki = await post('/loki/api/v1/push', JSON.stringify(push), { 'content-type': 'application/json' });
      expect([loki.status, loki.headers.get('content-type'), await loki.text()]).toEqual([
        409,
        'text/plain; charset=utf-8',
        expect.stringMatching(/^TOO_MANY_FILES: /),
      ]);
      // An upload counts the open chunks too, so the chunks can always close within the limit.
      const form = new FormData();
      form.append('file', new Blob(['x\n']), 'app.log');
      expect(failure(await api.call('POST', `/v1/issues/${issue.id}/log-files`, { rawBody: form }))).toEqual([409, 'TOO_MANY_FILES']);

      // Closing is never refused: both chunks become log files with every accepted line, and the limit then holds.
      await setting('ingest.chunk_idle_seconds', 1);
      const closed = await waitFor(
        async () => {
          const all = (await streams(issue.id)).flatMap((st) => st.chunks);
          return all.length === 2 && all.every((c) => c.state === 'closed') ? all : undefined;
        },
        30_000,
        () => worker.output(),
      );
      expect(closed.map((c) => c.lines).sort()).toEqual([2, 2]);
      expect((await api.call('GET', `/v1/issues/${issue.id}`)).body.log_files).toHaveLength(2);
      expect((await post(`/v1/issues/${issue.id}/log-streams/a`, 'a-3\n')).status).toBe(409);
      expect((await itemsOf(await bulk(['db-1'])))[0].status).toBe(400);
      expect((await streams(issue.id)).map((st) => st.name).sort()).toEqual(['a', 'bulk-db-1']);
      expect(appendAudits(issue.id).map((a) => [a.details.stream, a.details.lines])).toEqual([
        ['a', 1],
        ['bulk-db-1', 1],
        ['bulk-db-1', 1],
        ['a', 1],
      ]);
    } finally {
      await setting('uploads.max_files_per_issue', 100);
      await setting('ingest.chunk_idle_seconds', 1);
    }
  });

  it('audits every accepted line exactly once, and the audit chain verifies', async () => {
    const audited = api.db
      .prepare(`SELECT coalesce(sum(json_extract(details, '$.lines')), 0) AS n FROM audit_log WHERE action = 'append_log_lines'`)
      .get() as { n: number };
    const stored = api.db.prepare(`SELECT coalesce(sum(lines), 0) AS n FROM log_stream_chunks`).get() as { n: number };
    expect(stored.n).toBeGreaterThan(10);
    expect(audited.n).toBe(stored.n);
    const verified = await api.call('GET', '/v1/audit/verify');
    expect([verified.status, verified.body.intact]).toEqual([200, true]);
  });
});

import { LogFileProcessingRepository } from '@tftsr/db';
import { failure, useTestApi } from '../support/api-harness';
import { factory } from '../support/factory';

/**
 * The API's conventions, across every route: every time ISO 8601 UTC with a Z (the harness checks each response
 * of every e2e test; here every JSON GET route answers with data in it), Location on 201 and 202, the same shape
 * from create and get, the log files of an issue as a list, and 415s that name what is accepted.
 */
describe('API consistency', () => {
  const api = useTestApi('consistency');

  const form = (name: string, content: string) => {
    const body = new FormData();
    body.append('file', new Blob([content]), name);
    return body;
  };

  /** One of everything, made through the API where the API makes it; returns the ids the routes take. */
  async function world() {
    const created = await api.call('POST', '/v1/issues', { body: factory.issue({ status: 'resolved', tags: ['db'] }) });
    const issue = created.body;
    const upload = await api.call('POST', `/v1/issues/${issue.id}/log-files`, { rawBody: form('app.log', 'login jane@example.org\n') });
    // Shipped lines, so the issue detail and the log-streams route answer with a stream and a chunk in them.
    const shipped = await api.call('POST', `/v1/issues/${issue.id}/log-streams/app`, {
      rawBody: Buffer.from('started\n'),
      headers: { 'content-type': 'text/plain' },
    });
    expect(shipped.status).toBe(200);
    const step = await api.call('POST', `/v1/issues/${issue.id}/resolution-steps`, { body: factory.step({ step_order: 1 }) });
    const conversation = await api.call('POST', `/v1/issues/${issue.id}/conversations`, {
      body: { provider: 'openai', model: 'gpt-4o', title: 'triage' },
    });
    const message = await api.call('POST', `/v1/conversations/${conversation.body.id}/messages`, {
      body: { role: 'user', content: 'why?' },
    });
    const document = await api.call('POST', `/v1/issues/${issue.id}/documents`, { body: { doc_type: 'rca' } });
    const image = factory.imageAttachment(api.db, api.dataDir, issue.id);
    // What the worker writes once hashing and detection are done: the review routes then answer.
    const processing = new LogFileProcessingRepository(api.db);
    processing.setHashState(upload.body.id, 'done');
    processing.setScanState(upload.body.id, 'done', 100, {});
    await api.call('PUT', '/v1/integrations/confluence/config', { body: { base_url: 'https://acme.atlassian.net', space_key: 'ENG' } });
    await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: 'token', expires_at: '2031-05-06T07:08:09+02:00' } });
    await api.call('PUT', '/v1/settings/pii.allow_list', { body: { value: ['ops@example.com'] } });
    const publish = await api.call('POST', `/v1/documents/${document.body.id}/publish`, { body: { service: 'confluence' } });
    const webhook = await api.call('POST', '/v1/webhooks', {
      body: { name: 'ops', url: 'https://hooks.example.com/tftsr', format: 'json', events: ['file.ready'] },
    });
    expect(webhook.status).toBe(201);
    return {
      created,
      upload,
      step,
      conversation,
      message,
      document,
      publish,
      ids: {
        issue: issue.id,
        logFile: upload.body.id,
        conversation: conversation.body.id,
        document: document.body.id,
        image: image.id,
        webhook: webhook.body.id,
      },
    };
  }

  it('answers every JSON GET route with ISO 8601 UTC times, a seed TEXT time and an ISO time with an offset included', async () => {
    const { ids } = await world();
    const concrete: Record<string, string> = {
      '/v1/issues': '/v1/issues',
      '/v1/issues/{id}': `/v1/issues/${ids.issue}`,
      '/v1/issues/{id}/log-files': `/v1/issues/${ids.issue}/log-files`,
      '/v1/issues/{id}/documents': `/v1/issues/${ids.issue}/documents`,
      '/v1/issues/{id}/publications': `/v1/issues/${ids.issue}/publications`,
      '/v1/issues/{id}/log-streams': `/v1/issues/${ids.issue}/log-streams`,
      '/v1/log-files/{id}': `/v1/log-files/${ids.logFile}`,
      '/v1/log-files/{id}/pii-spans': `/v1/log-files/${ids.logFile}/pii-spans`,
      '/v1/log-files/{id}/pii/values': `/v1/log-files/${ids.logFile}/pii/values`,
      '/v1/log-files/{id}/pii/totals': `/v1/log-files/${ids.logFile}/pii/totals`,
      '/v1/log-files/{id}/lines': `/v1/log-files/${ids.logFile}/lines?from=1&count=10`,
      '/v1/api-keys': '/v1/api-keys',
      '/v1/conversations/{id}': `/v1/conversations/${ids.conversation}`,
      '/v1/documents/{id}': `/v1/documents/${ids.document}`,
      '/v1/documents/{id}/publications': `/v1/documents/${ids.document}/publications`,
      '/v1/images/{id}': `/v1/images/${ids.image}`,
      '/v1/audit': '/v1/audit?limit=200',
      '/v1/audit/verify': '/v1/audit/verify',
      '/v1/settings': '/v1/settings',
      '/v1/settings/{key}': '/v1/settings/pii.allow_list',
      '/v1/integrations': '/v1/integrations',
      '/v1/auth/whoami': '/v1/auth/whoami',
      '/v1/webhooks': '/v1/webhooks',
      '/v1/webhooks/{id}/deliveries': `/v1/webhooks/${ids.webhook}/deliveries`,
    };
    // Routes whose 200 is not a JSON resource list or item, or that need a worker (ping) or a pending redaction.
    // '/' is the Elasticsearch handshake of the shipper endpoints (not a TFTSR resource).
    const elsewhere = ['/v1/system/ping/{ping_id}', '/v1/log-files/{id}/redactions/{request_id}', '/health/live', '/health/ready', '/'];
    const jsonGets = Object.entries(api.openapi.doc.paths)
      .filter(([, item]) => item.get?.responses['200']?.content?.['application/json'])
      .map(([path]) => path)
      .filter((path) => !elsewhere.includes(path));
    expect(jsonGets.filter((path) => !(path in concrete))).toEqual([]);
    for (const path of jsonGets) {
      // The harness fails the call on any time that is not ISO 8601 UTC with a Z, anywhere in the body.
      const result = await api.call('GET', concrete[path]);
      expect({ path, status: result.status }).toEqual({ path, status: 200 });
    }
    const integrations = (await api.call('GET', '/v1/integrations')).body.items as {
      service: string;
      credential: { expires_at: string };
    }[];
    expect(integrations.find((i) => i.service === 'confluence')?.credential.expires_at).toBe('2031-05-06T05:08:09.000Z');
  });

  it('sends Location on every 201 and 202, pointing where the resource is', async () => {
    const w = await world();
    const expected: [string, { headers: Headers }, string][] = [
      ['issue', w.created, `/v1/issues/${w.ids.issue}`],
      ['log file', w.upload, `/v1/log-files/${w.ids.logFile}`],
      ['step', w.step, `/v1/resolution-steps/${w.step.body.id}`],
      ['conversation', w.conversation, `/v1/conversations/${w.ids.conversation}`],
      ['message', w.message, `/v1/conversations/${w.ids.conversation}`],
      ['document', w.document, `/v1/documents/${w.ids.document}`],
      ['publish', w.publish, `/v1/documents/${w.ids.document}/publications`],
    ];
    for (const [what, result, location] of expected) expect([what, result.headers.get('location')]).toEqual([what, location]);
    for (const location of ['issue', 'log file', 'conversation', 'document', 'publish'].map(
      (what) => expected.find((e) => e[0] === what)![2],
    )) {
      expect([location, (await api.call('GET', location)).status]).toEqual([location, 200]);
    }
    const declared = Object.values(api.openapi.doc.paths).flatMap((item) =>
      Object.values(item).flatMap((op) =>
        ['201', '202'].filter((s) => op.responses?.[s]).map((s) => op.responses[s].headers?.Location !== undefined),
      ),
    );
    expect(declared.length).toBeGreaterThan(8);
    expect(declared.every(Boolean)).toBe(true);
  });

  it('answers create and get with the same shape', async () => {
    const w = await world();
    const pairs: [string, Record<string, unknown>, string][] = [
      ['issue', w.created.body, `/v1/issues/${w.ids.issue}`],
      ['log file', w.upload.body, `/v1/log-files/${w.ids.logFile}`],
      ['conversation', w.conversation.body, `/v1/conversations/${w.ids.conversation}`],
      ['document', w.document.body, `/v1/documents/${w.ids.document}`],
    ];
    for (const [what, created, path] of pairs) {
      const got = (await api.call('GET', path)).body;
      expect([what, Object.keys(got).sort()]).toEqual([what, Object.keys(created).sort()]);
      expect([what, got.id, got.created_at ?? got.uploaded_at]).toEqual([what, created.id, created.created_at ?? created.uploaded_at]);
    }
    const patched = await api.call('PATCH', `/v1/issues/${w.ids.issue}`, { body: { title: 'renamed' } });
    expect(Object.keys(patched.body).sort()).toEqual(Object.keys(w.created.body).sort());
  });

  it('lists the log files of an issue, page by page, with status, progress and PII counts per file', async () => {
    const issue = await api.createIssue();
    const ids: string[] = [];
    for (const name of ['a.log', 'b.log', 'c.log'])
      ids.push((await api.call('POST', `/v1/issues/${issue.id}/log-files`, { rawBody: form(name, 'x\n') })).body.id);
    // What the worker writes when a scan finishes.
    const processing = new LogFileProcessingRepository(api.db);
    processing.setHashState(ids[1], 'done');
    processing.setScanState(ids[1], 'done', 100, { Email: 2, IPv4: 1 });

    const first = await api.call('GET', `/v1/issues/${issue.id}/log-files?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items.map((f: { id: string }) => f.id)).toEqual(ids.slice(0, 2));
    expect(first.body.items[0]).toMatchObject({ file_name: 'a.log', status: 'pending', progress: 0, pii_counts: null });
    expect(first.body.items[1]).toMatchObject({ file_name: 'b.log', status: 'ready', progress: 100, pii_counts: { Email: 2, IPv4: 1 } });
    const second = await api.call('GET', `/v1/issues/${issue.id}/log-files?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body).toMatchObject({ items: [expect.objectContaining({ id: ids[2] })], next_cursor: null });

    expect(failure(await api.call('GET', `/v1/issues/${issue.id}/log-files?cursor=nonsense`))).toEqual([400, 'INVALID_CURSOR']);
    expect(failure(await api.call('GET', `/v1/issues/${issue.id}/log-files?limit=0`))).toEqual([400, 'VALIDATION_FAILED']);
    expect(failure(await api.call('GET', '/v1/issues/00000000-0000-4000-8000-000000000000/log-files'))).toEqual([404, 'ISSUE_NOT_FOUND']);
  });

  it('names the accepted types in a 415', async () => {
    const issue = await api.createIssue();
    const json = await api.call('POST', '/v1/issues', { rawBody: '<issue/>', headers: { 'content-type': 'application/xml' } });
    expect(failure(json)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(json.body.error.details.accepted_types).toEqual(['application/json']);
    expect(json.body.error.message).toMatch(/send application\/json$/);

    const image = await api.call('POST', `/v1/issues/${issue.id}/images`, { rawBody: 'x', headers: { 'content-type': 'image/png' } });
    expect(failure(image)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(image.body.error.details.accepted_types.sort()).toEqual(['application/json', 'multipart/form-data']);

    const log = await api.call('POST', `/v1/issues/${issue.id}/log-files`, {
      rawBody: 'x',
      headers: { 'content-type': 'application/pdf' },
    });
    expect(failure(log)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(log.body.error.details.accepted_types).toEqual(
      expect.arrayContaining(['multipart/form-data', 'application/octet-stream', 'text/plain', 'application/gzip']),
    );

    const binary = await api.call('POST', `/v1/issues/${issue.id}/log-files?file_name=a.log`, {
      rawBody: Buffer.from('%PDF-1.7'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(failure(binary)).toEqual([415, 'UNSUPPORTED_FILE_TYPE']);
    expect(binary.body.error.message).toMatch(/send UTF-8 text, as is or gzip-compressed/);
    const named = await api.call('POST', `/v1/issues/${issue.id}/log-files?file_name=a.exe`, {
      rawBody: Buffer.from('MZ'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(named.body.error.message).toMatch(/accepted: \.bash, .*\.log, /);
  });
});

import { Logger } from '@nestjs/common';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApi } from '../support/api-harness';
import { failure, startTestApi } from '../support/api-harness';
import { eventually, rawRequest } from '../support/raw-request';

/**
 * Issue 13, item 3: input that used to answer 500 (or log an unhandled error) answers a 4xx with a stable code:
 * a truncated multipart body, a JSON route sent application/octet-stream, a forged cursor of the wrong shape, and
 * an upload the client abandons half-way.
 */
describe('bad input answers 4xx', () => {
  let api: TestApi;
  let issueId: string;
  let errors: jest.SpyInstance;

  beforeAll(async () => {
    api = await startTestApi('sec-input');
    issueId = (await api.createIssue()).id;
    await api.createIssue();
    await api.createIssue();
  });

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error');
  });

  afterEach(() => {
    // Every refusal here is the client's doing: nothing is logged as an unhandled error.
    expect(errors.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('unhandled'))).toEqual([]);
    errors.mockRestore();
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers a truncated multipart upload 400 INVALID_UPLOAD, and stores nothing', async () => {
    const body = [
      '--XyZ',
      'content-disposition: form-data; name="file"; filename="app.log"',
      'content-type: text/plain',
      '',
      'line one\nline two\n',
    ].join('\r\n');
    const result = await api.call('POST', `/v1/issues/${issueId}/log-files`, {
      rawBody: body,
      headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
    });
    expect(failure(result)).toEqual([400, 'INVALID_UPLOAD']);
    expect((await api.call('GET', `/v1/issues/${issueId}`)).body.log_files).toEqual([]);
  });

  it('answers application/octet-stream on a JSON route 415, without running the validation pipe on a stream', async () => {
    for (const path of ['/v1/issues', `/v1/issues/${issueId}/resolution-steps`, '/v1/settings/ai.model']) {
      const method = path.startsWith('/v1/settings') ? 'PUT' : 'POST';
      const response = await fetch(`${api.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(64 * 1024, 1),
      });
      const body = (await response.json()) as { error: { code: string } };
      expect([response.status, body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
  });

  it('answers a forged cursor of the wrong shape 400 INVALID_CURSOR', async () => {
    const page = await api.call('GET', '/v1/issues?limit=1');
    const real = JSON.parse(Buffer.from(page.body.next_cursor, 'base64url').toString('utf8')) as { k: unknown[] };
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    const forged = [
      forge({ ...real, k: [] }),
      forge({ ...real, k: [...real.k, 'extra'] }),
      forge({ ...real, k: real.k.slice(0, 1) }),
      forge(null),
      forge([1, 2]),
    ];
    for (const cursor of forged) {
      expect(failure(await api.call('GET', `/v1/issues?limit=1&cursor=${encodeURIComponent(cursor)}`))).toEqual([400, 'INVALID_CURSOR']);
    }
    expect(failure(await api.call('GET', `/v1/audit?cursor=${forge({ before: 'x' })}`))).toEqual([400, 'INVALID_CURSOR']);
  });

  it('treats an upload the client abandons half-way as the client’s doing: no error logged, no temp file left', async () => {
    const exchange = rawRequest(
      api.base,
      [
        `POST /v1/issues/${issueId}/log-files?file_name=gone.log HTTP/1.1`,
        `authorization: Bearer ${api.adminKey}`,
        'content-type: text/plain',
        'content-length: 1000000',
      ].join('\r\n'),
      'a'.repeat(100_000),
    );
    const tempFiles = () => readdirSync(join(api.dataDir, 'blobs', 'tmp'));
    await eventually(() => tempFiles().length > 0, 'the upload reached a temp file');
    exchange.socket.destroy();
    await exchange.response;
    await eventually(() => tempFiles().length === 0, 'the temp file was removed');
    // The route's failure is answered (to nobody) through the error filter; give it that turn.
    await new Promise((r) => setImmediate(r));
  });
});

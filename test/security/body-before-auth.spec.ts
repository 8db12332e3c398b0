import { connect } from 'node:net';
import { MAX_JSON_DEPTH } from '@tftsr/api/common/json-body';
import type { TestApi } from '../support/api-harness';
import { failure, startTestApi } from '../support/api-harness';

/**
 * Issue 13, item 1: a request without a valid key never has its body read, JSON nesting is bounded before
 * parsing, and a JSON route refuses other media types with 415.
 */
describe('request bodies and authentication', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('sec-body');
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Sends the head of a request and only `sent` bytes of its announced body; resolves with the status line. */
  function statusBeforeBody(headers: Record<string, string>, announced: number, sent: string): Promise<string> {
    const { hostname, port } = new URL(api.base);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        const head = Object.entries({ ...headers, host: `${hostname}:${port}`, 'content-length': String(announced) })
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('');
        socket.write(`POST /v1/issues HTTP/1.1\r\n${head}\r\n${sent}`);
      });
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n')) {
          socket.destroy();
          resolve(received.split('\r\n')[0]);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(received.split('\r\n')[0]));
    });
  }

  it('answers 401 to a keyless request while its body is still on the way, without waiting for it', async () => {
    // The body never arrives in full: a server that read it first would never answer.
    const status = await statusBeforeBody({ 'content-type': 'application/json' }, 1_000_000, '[[[[[[[[');
    expect(status).toBe('HTTP/1.1 401 Unauthorized');
    const garbage = await statusBeforeBody({ 'content-type': 'application/json', authorization: 'Bearer not-a-key' }, 1_000_000, '[[[[');
    expect(garbage).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('refuses JSON nested deeper than the limit before parsing it', async () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    const result = await api.call('POST', '/v1/issues', { rawBody: deep });
    expect(failure(result)).toEqual([400, 'INVALID_JSON']);
    expect(result.body.error.details).toEqual({ max_depth: MAX_JSON_DEPTH });
    const huge = await api.call('POST', '/v1/issues', { rawBody: '['.repeat(900_000) });
    expect(failure(huge)).toEqual([400, 'INVALID_JSON']);
    // Brackets inside strings are text, not nesting.
    const inString = await api.call('POST', '/v1/issues', { body: { title: '['.repeat(200), severity: 'low' } });
    expect(inString.status).toBe(201);
  });

  it('refuses a body past the route’s limit with 413', async () => {
    const result = await api.call('POST', '/v1/issues', {
      rawBody: JSON.stringify({ title: 'x', description: 'y'.repeat(2 * 1024 * 1024) }),
    });
    expect(failure(result)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers a non-JSON body on a JSON route with 415 naming the accepted types', async () => {
    for (const type of ['text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
      const response = await fetch(`${api.base}/v1/issues`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': type },
        body: 'title=x',
      });
      const body = (await response.json()) as { error: { code: string; details: { accepted_types: string[] } } };
      expect([response.status, body.error.code, body.error.details.accepted_types]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        ['application/json'],
      ]);
    }
  });

  it('still takes uploads in the types the upload route names, and answers others with 415', async () => {
    const issue = await api.createIssue();
    const raw = await api.call('POST', `/v1/issues/${issue.id}/log-files?file_name=app.log`, {
      rawBody: Buffer.from('hello\n'),
      headers: { 'content-type': 'text/plain' },
    });
    expect(raw.status).toBe(202);
    const json = await api.call('POST', `/v1/issues/${issue.id}/log-files?file_name=app.log`, { body: { file: 'x' } });
    expect(failure(json)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers an unknown route 404 with or without a key', async () => {
    const unknown = await fetch(`${api.base}/v1/nothing-here`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[',
    });
    expect(unknown.status).toBe(404);
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import { eventually, rawRequest } from '../support/raw-request';

/** Issue 13, item 4: a body that trickles in is answered 408, its connection closed and its temp file removed. */
describe('slow uploads', () => {
  let api: TestApi;
  let issueId: string;

  beforeAll(async () => {
    api = await startTestApi('sec-slow', {
      TFTSR_UPLOAD_MIN_BYTES_PER_SECOND: '1000',
      TFTSR_UPLOAD_RATE_WINDOW_MS: '500',
      TFTSR_REQUEST_TIMEOUT_MS: '3000',
    });
    issueId = (await api.createIssue()).id;
  });

  afterAll(async () => {
    await api?.close();
  });

  const tempFiles = () => readdirSync(join(api.dataDir, 'blobs', 'tmp'));

  function trickle(bytesPerTick: number, tickMs: number) {
    const exchange = rawRequest(
      api.base,
      [
        `POST /v1/issues/${issueId}/log-files?file_name=slow.log HTTP/1.1`,
        `authorization: Bearer ${api.adminKey}`,
        'content-type: text/plain',
        'content-length: 10000000',
      ].join('\r\n'),
      'first line of a log\n',
    );
    const ticker = setInterval(() => exchange.socket.write('x'.repeat(bytesPerTick)), tickMs);
    void exchange.response.finally(() => clearInterval(ticker));
    return exchange;
  }

  it('answers a body slower than the minimum rate 408, closes the connection and removes the temp file', async () => {
    const started = trickle(1, 100);
    await eventually(() => tempFiles().length > 0, 'the upload reached a temp file');
    const { statusLine, text, closed } = await started.response;
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(text).toContain('"code":"REQUEST_TIMEOUT"');
    expect(closed).toBe(true);
    await eventually(() => tempFiles().length === 0, 'the temp file was removed');
  });

  it('answers a body that keeps the rate but never ends 408 at the hard timeout', async () => {
    // 20 kB/s is well above the minimum rate; the 10 MB it announces would take 500 s.
    const { statusLine, text } = await trickle(2000, 100).response;
    expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
    expect(text).toContain('"timeout_ms":3000');
    await eventually(() => tempFiles().length === 0, 'the temp file was removed');
  });

  it('still takes an upload that arrives at a normal pace', async () => {
    const result = await api.call('POST', `/v1/issues/${issueId}/log-files?file_name=ok.log`, {
      rawBody: Buffer.alloc(200_000, 'a\n'),
      headers: { 'content-type': 'text/plain' },
    });
    expect(result.status).toBe(202);
  });
});

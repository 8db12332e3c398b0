import { waitFor } from '../../support/app-processes';
import { factory } from '../../support/factory';
import { heldBody } from '../../support/held-body';
import { rawRequest } from '../../support/raw-request';
import type { Answer } from './fault-rig';
import { ADMIN_KEY, FaultRig, smallLog } from './fault-rig';

/**
 * Issue 22, item 6: a client that drops the connection after sending the whole body, then retries, must not get a
 * second file. The Idempotency-Key header (IETF httpapi draft) makes a retry return the first result; the same key
 * with another body is 422 IDEMPOTENCY_KEY_REUSED; a retry while the first still runs is 409 IDEMPOTENCY_KEY_IN_USE.
 */
describe('Idempotency-Key on uploads and other POSTs', () => {
  let rig: FaultRig;
  let issueId: string;

  beforeAll(async () => {
    rig = new FaultRig('retried-upload');
    rig.startWorker();
    await rig.startApi();
    issueId = await rig.createIssue();
  });
  afterAll(() => rig.close());

  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  const filesNamed = (name: string) => rig.count('SELECT count(*) AS n FROM log_files WHERE file_name = ?', name);

  async function post(
    path: string,
    key: string | null,
    body: RequestInit['body'],
    contentType?: string,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const response = await fetch(`${rig.base}${path}`, {
      method: 'POST',
      headers: { ...auth, ...(contentType ? { 'content-type': contentType } : {}), ...(key === null ? {} : { 'idempotency-key': key }) },
      body,
      signal,
      duplex: 'half',
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
    };
  }

  /** The client's retry loop: while the first request still runs the answer is 409; retry until it is not. */
  async function retry(send: () => Promise<Answer>): Promise<Answer> {
    return waitFor(
      async () => {
        const answer = await send();
        return answer.status === 409 && answer.body.error.code === 'IDEMPOTENCY_KEY_IN_USE' ? false : answer;
      },
      30_000,
      () => rig.logs(),
    );
  }

  it('a raw upload whose client went away after the whole body, retried with the same key, is stored once', async () => {
    const content = smallLog('dropped', 5000);
    const path = `/v1/issues/${issueId}/log-files?file_name=dropped.log`;
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(content);
        c.close();
      },
    });
    // Gone as soon as the server has taken the key, most often before any answer (a fast server may answer first).
    const first = post(path, '"upload-1"', body, 'application/octet-stream', controller.signal).catch((err: Error) => err);
    await waitFor(
      async () => rig.count('SELECT count(*) AS n FROM idempotency_keys') > 0,
      10_000,
      () => rig.logs(),
    );
    controller.abort();
    await first;

    const again = await retry(() => post(path, '"upload-1"', content, 'application/octet-stream'));
    expect(again.status).toBe(202);
    const third = await post(path, '"upload-1"', content, 'application/octet-stream');
    expect(third).toEqual(again);
    expect(filesNamed('dropped.log')).toBe(1);
    rig.accepted.push(again.body.id);

    const other = await post(path, '"upload-1"', smallLog('something else'), 'application/octet-stream');
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(filesNamed('dropped.log')).toBe(1);
  }, 60_000);

  it('a raw upload whose client went away mid-body frees its key at once: the retry with the same key runs and is stored once', async () => {
    const content = smallLog('cut-short', 5000);
    const path = `/v1/issues/${issueId}/log-files?file_name=cut-short.log`;
    // Half the body of what was announced, then the connection is gone: the first request can never finish.
    const { socket, response } = rawRequest(
      rig.base,
      [
        `POST ${path} HTTP/1.1`,
        `authorization: Bearer ${ADMIN_KEY}`,
        'content-type: application/octet-stream',
        'idempotency-key: "cut-short-1"',
        `content-length: ${content.length}`,
      ].join('\r\n'),
      content.subarray(0, content.length / 2),
    );
    await waitFor(
      async () => rig.count('SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = ?', 'cut-short-1') > 0,
      10_000,
      () => rig.logs(),
    );
    socket.destroy();
    await response;

    const again = await retry(() => post(path, '"cut-short-1"', content, 'application/octet-stream'));
    expect(again.status).toBe(202);
    expect(filesNamed('cut-short.log')).toBe(1);
    rig.accepted.push(again.body.id);
  }, 60_000);

  it('a multipart upload retried with the same key (a new boundary, the same file) returns the first result', async () => {
    const form = () => {
      const data = new FormData();
      data.append('file', new Blob([smallLog('multipart')]), 'multipart.log');
      return data;
    };
    const path = `/v1/issues/${issueId}/log-files`;
    const first = await post(path, '"multipart-1"', form());
    expect(first.status).toBe(202);
    const again = await retry(() => post(path, '"multipart-1"', form()));
    expect(again).toEqual(first);
    expect(filesNamed('multipart.log')).toBe(1);
    rig.accepted.push(first.body.id);
  }, 60_000);

  it('a JSON POST retried with the same key creates one issue; another body under the key is 422', async () => {
    const issue = factory.issue();
    const first = await post('/v1/issues', '"issue-1"', JSON.stringify(issue), 'application/json');
    expect(first.status).toBe(201);
    const again = await post('/v1/issues', '"issue-1"', JSON.stringify(issue), 'application/json');
    expect(again).toEqual(first);
    expect(rig.count('SELECT count(*) AS n FROM issues WHERE id = ?', first.body.id)).toBe(1);
    expect(rig.count('SELECT count(*) AS n FROM issues WHERE title = ?', issue.title)).toBe(1);

    const changed = await post(
      '/v1/issues',
      '"issue-1"',
      JSON.stringify({ ...issue, title: `${String(issue.title)} (changed)` }),
      'application/json',
    );
    expect(changed.status).toBe(422);
    expect(changed.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const elsewhere = await post(`/v1/issues/${issueId}/log-files?file_name=x.log`, '"issue-1"', smallLog('x'), 'application/octet-stream');
    expect(elsewhere.status).toBe(422);
    // Without the header, nothing changes: two requests, two issues.
    const plain = [
      await post('/v1/issues', null, JSON.stringify(issue), 'application/json'),
      await post('/v1/issues', null, JSON.stringify(issue), 'application/json'),
    ];
    expect(new Set(plain.map((p) => p.body.id)).size).toBe(2);
  }, 60_000);

  it('answers 409 while the first request with the key still runs, and 400 to a malformed key', async () => {
    const held = heldBody(smallLog('held', 2000));
    const path = `/v1/issues/${issueId}/log-files?file_name=held.log`;
    const first = post(path, '"held-1"', held.stream, 'application/octet-stream');
    await waitFor(
      async () => rig.count(`SELECT count(*) AS n FROM idempotency_keys WHERE idempotency_key = 'held-1'`) > 0,
      10_000,
      () => rig.logs(),
    );
    const during = await post(path, '"held-1"', smallLog('held', 2000), 'application/octet-stream');
    expect(during.status).toBe(409);
    expect(during.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
    held.send(null);
    expect((await first).status).toBe(202);
    rig.accepted.push((await first).body.id);

    for (const bad of ['""', `"${'k'.repeat(256)}"`, '"tab\there"']) {
      const answer = await post('/v1/issues', bad, JSON.stringify(factory.issue()), 'application/json');
      expect([answer.status, answer.body.error.code]).toEqual([400, 'IDEMPOTENCY_KEY_INVALID']);
    }
    await rig.waitProcessed(rig.accepted, 60_000);
    await rig.postChecks();
  }, 60_000);
});

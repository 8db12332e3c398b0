import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { scanBuffer } from '@tftsr/pii';
import { waitFor } from '../support/app-processes';
import { failure, useTestStack } from '../support/api-harness';
import { factory } from '../support/factory';

const SECRET = 'AKIAQWERTYUIOPASDFGH';
const LOG = [
  '2026-11-27 10:00:01 INFO  [http-nio-8080-exec-3] c.e.Checkout - user jane.doe@example.org paid with 4111 1111 1111 1111',
  `2026-11-27 10:00:02 WARN  [worker-2] c.e.Sync - using aws_access_key_id=${SECRET} from 10.20.30.40`,
  '2026-11-27 10:00:03 ERROR [worker-2] c.e.Sync - timeout after 30000 ms; retrying in 5 s',
].join('\n');

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** The `progress` events of an SSE body; the stream opens with a blank line, so blocks are trimmed first. */
function sseEvents(body: string): string[] {
  return body
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => block.startsWith('event: progress'));
}

describe('log file uploads, processed by the real worker', () => {
  const { api, worker } = useTestStack('log-files');
  let issueId: string;

  beforeAll(async () => {
    issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
  });

  const multipart = (name: string, content: Buffer | string) => {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    return form;
  };
  const uploadForm = (name: string, content: Buffer | string, issue = issueId) =>
    api.call('POST', `/v1/issues/${issue}/log-files`, { rawBody: multipart(name, content) });
  const untilDone = (id: string) =>
    waitFor(
      async () => {
        const { body } = await api.call('GET', `/v1/log-files/${id}`);
        return body.status === 'ready' || body.status === 'failed' ? body : undefined;
      },
      30_000,
      () => worker.output(),
    );
  const storedSpans = (id: string) =>
    api.db
      .prepare('SELECT pii_type, start_offset, end_offset, replacement FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .all(id);
  const engineSpans = (content: string) =>
    scanBuffer(Buffer.from(content)).map((s) => ({
      pii_type: s.pii_type,
      start_offset: s.start,
      end_offset: s.end,
      replacement: s.replacement,
    }));

  it('accepts a multipart upload with 202, then hashes and scans it: the spans equal the engine’s on the same bytes', async () => {
    const accepted = await uploadForm('app.log', LOG);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      issue_id: issueId,
      file_name: 'app.log',
      file_size: Buffer.byteLength(LOG),
      status: 'pending',
      content_hash: null,
      redacted: false,
    });
    const done = await untilDone(accepted.body.id);
    expect(done).toMatchObject({ status: 'ready', progress: 100, content_hash: createHash('sha256').update(LOG).digest('hex') });
    expect(storedSpans(accepted.body.id)).toEqual(engineSpans(LOG));
    expect(done.pii_counts).toMatchObject({ Email: 1, CreditCard: 1, AwsAccessKey: 1 });
    const actions = (
      api.db.prepare(`SELECT action FROM audit_log WHERE entity_id = ? ORDER BY rowid`).all(accepted.body.id) as { action: string }[]
    ).map((r) => r.action);
    expect(actions.sort()).toEqual(['detect_pii', 'hash_log_file', 'upload_log_file']);
  });

  it('accepts a raw body named by ?file_name=, and decompresses a .gz while streaming', async () => {
    const raw = await api.call('POST', `/v1/issues/${issueId}/log-files?file_name=raw.txt`, {
      rawBody: Buffer.from(LOG),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(raw.status).toBe(202);
    const gz = await uploadForm('server.log.gz', gzipSync(LOG));
    expect([gz.status, gz.body.file_name]).toEqual([202, 'server.log']);
    const done = await untilDone(gz.body.id);
    expect(done.content_hash).toBe(createHash('sha256').update(LOG).digest('hex'));
    expect(storedSpans(gz.body.id)).toEqual(engineSpans(LOG));
  });

  it('keeps the client’s name only as harmless metadata, and stores under a server-made name', async () => {
    const { status, body } = await uploadForm('../../etc/\u202Epasswd\u0000.log', 'hello\n');
    expect(status).toBe(202);
    expect(body.file_name).toBe('passwd.log');
    const { file_path } = api.db.prepare('SELECT file_path FROM log_files WHERE id = ?').get(body.id) as { file_path: string };
    expect(file_path).toMatch(/^blobs\/[0-9a-f]{2}\/[0-9a-f-]{36}\.blob$/);
  });

  it('streams one final event at once for a file that is already ready', async () => {
    const { body } = await uploadForm('ready.log', LOG);
    await untilDone(body.id);
    const response = await fetch(`${api.base}/v1/log-files/${body.id}/events`, { headers: { authorization: `Bearer ${api.adminKey}` } });
    const events = sseEvents(await response.text());
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0].split('\ndata: ')[1])).toMatchObject({ id: body.id, status: 'ready', progress: 100 });
  });

  it('streams progress as Server-Sent Events until the file is ready', async () => {
    const { body } = await uploadForm('events.log', LOG);
    const response = await fetch(`${api.base}/v1/log-files/${body.id}/events`, { headers: { authorization: `Bearer ${api.adminKey}` } });
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = sseEvents(await response.text());
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(events[events.length - 1].split('\ndata: ')[1])).toMatchObject({ id: body.id, status: 'ready', progress: 100 });
  });

  describe('refuses bad uploads and leaves nothing behind', () => {
    let before: string[];
    beforeEach(() => (before = filesUnder(join(api.dataDir, 'blobs')).sort()));
    afterEach(() => expect(filesUnder(join(api.dataDir, 'blobs')).sort()).toEqual(before));

    it.each([
      ['a forbidden type', 'payload.exe', 'MZ....', 415, 'UNSUPPORTED_FILE_TYPE'],
      ['binary content under a text name', 'fake.log', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), 415, 'UNSUPPORTED_FILE_TYPE'],
      ['NUL bytes in the first 8 KiB', 'nul.log', Buffer.from('abc\u0000def'), 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a .gz that is not gzip', 'broken.log.gz', 'not gzip at all', 400, 'INVALID_UPLOAD'],
    ])('%s', async (_, name, content, status, code) => {
      expect(failure(await uploadForm(name, content as Buffer))).toEqual([status, code]);
    });

    it('an upload to an unknown issue', async () => {
      expect(failure(await uploadForm('a.log', 'x', '0190b6c4-1a2b-7c3d-8e4f-0123456789ab'))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });

    it('a raw upload without ?file_name=, and a multipart body without a file field', async () => {
      const raw = await api.call('POST', `/v1/issues/${issueId}/log-files`, {
        rawBody: Buffer.from('x'),
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(failure(raw)).toEqual([400, 'INVALID_UPLOAD']);
      const form = new FormData();
      form.append('attachment', new Blob(['x']), 'a.log');
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/log-files`, { rawBody: form }))).toEqual([400, 'INVALID_UPLOAD']);
    });

    it('a file over the size limit, and a gzip bomb under it', async () => {
      await api.call('PUT', '/v1/settings/uploads.max_file_bytes', { body: { value: 64 * 1024 } });
      try {
        expect(failure(await uploadForm('big.log', 'x'.repeat(64 * 1024 + 1)))).toEqual([413, 'UPLOAD_TOO_LARGE']);
        expect(failure(await uploadForm('bomb.log.gz', gzipSync(Buffer.alloc(50 * 1024 * 1024, 'a'))))).toEqual([413, 'UPLOAD_TOO_LARGE']);
      } finally {
        await api.call('PUT', '/v1/settings/uploads.max_file_bytes', { body: { value: 1024 * 1024 * 1024 } });
      }
    });

    it('a gzip bomb that stays under the size limit, by its ratio', async () => {
      expect(failure(await uploadForm('ratio.log.gz', gzipSync(Buffer.alloc(20 * 1024 * 1024, 'a'))))).toEqual([413, 'UPLOAD_TOO_LARGE']);
    });
  });

  it('answers an unknown log file with 404 LOG_FILE_NOT_FOUND', async () => {
    expect(failure(await api.call('GET', '/v1/log-files/0190b6c4-1a2b-7c3d-8e4f-0123456789ab'))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
  });

  it('requires the write scope to upload', async () => {
    const reader = api.createKey('reader-uploads', ['read']);
    const { status, body } = await api.call('POST', `/v1/issues/${issueId}/log-files?file_name=a.log`, {
      key: reader,
      rawBody: Buffer.from('x'),
      headers: { 'content-type': 'text/plain' },
    });
    expect([status, body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('keeps no plaintext log content anywhere in the data directory', async () => {
    const planted = 'canary-ghp_4f7Kq9XzR2mW8vT1nB6yL3sD5hJ0pA2cE9uQ';
    const { body } = await uploadForm('canary.log', `token=${planted}\n${LOG}`);
    await untilDone(body.id);
    for (const file of filesUnder(api.dataDir)) {
      if (statSync(file).size === 0) continue;
      const bytes = readFileSync(file);
      expect({ file, planted: bytes.includes(planted), secret: bytes.includes(SECRET) }).toEqual({ file, planted: false, secret: false });
    }
  });
});

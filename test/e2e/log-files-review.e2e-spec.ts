import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FULL_DECRYPT_LIMIT, LogFileContentService } from '@tftsr/api/log-files/log-file-content.service';
import { newId, RedactionRequestRepository, toDbTimestamp } from '@tftsr/db';
import { scanBuffer } from '@tftsr/pii';
import { CHUNK_SIZE, HEADER_SIZE, TAG_SIZE } from '@tftsr/storage';
import { waitFor } from '../support/app-processes';
import { failure, useTestStack } from '../support/api-harness';
import { factory } from '../support/factory';

const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
const CARD = '4111 1111 1111 1111';
const IP = '10.20.30.40';
const LOG = [
  `2026-11-27 10:00:01 INFO  [http-nio-8080-exec-3] c.e.Checkout - user ${EMAIL} paid with ${CARD}`,
  `2026-11-27 10:00:02 WARN  [worker-2] c.e.Sync - using aws_access_key_id=${AWS_KEY} from ${IP}`,
  '2026-11-27 10:00:03 ERROR [worker-2] c.e.Sync - timeout after 30000 ms; retrying in 5 s',
].join('\n');
const UNKNOWN_ID = '0190b6c4-1a2b-7c3d-8e4f-0123456789ab';
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface SpanItem {
  id: string;
  pii_type: string;
  start_offset: number;
  masked_value: string | null;
  original_value: string | null;
  wiped: boolean;
}

describe('reviewing and redacting log files, with the real worker', () => {
  const { api, worker } = useTestStack('log-files-review');
  let issueId: string;
  let reader: string;
  let writer: string;
  let revealer: string;

  beforeAll(async () => {
    issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
    reader = api.createKey('reader', ['read']);
    writer = api.createKey('approver', ['write']);
    revealer = api.createKey('revealer', ['read', 'pii:reveal']);
  });

  const upload = async (content: string | Buffer, name = 'app.log', issue = issueId): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([content]), name);
    const { status, body } = await api.call('POST', `/v1/issues/${issue}/log-files`, { rawBody: form });
    expect(status).toBe(202);
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${body.id}`)).body.status === 'ready',
      30_000,
      () => worker.output(),
    );
    return body.id;
  };
  const listSpans = async (id: string, query = '', key?: string): Promise<SpanItem[]> => {
    const { status, body } = await api.call('GET', `/v1/log-files/${id}/pii-spans?limit=500${query}`, { key });
    expect(status).toBe(200);
    return body.items;
  };
  const spanIdOf = async (id: string, type: string) => (await listSpans(id, `&pii_type=${type}`))[0].id;
  const redact = (id: string, body: unknown, key = writer) => api.call('POST', `/v1/log-files/${id}/redactions`, { body, key });
  const untilFinished = (id: string, requestId: string) =>
    waitFor(
      async () => {
        const { body } = await api.call('GET', `/v1/log-files/${id}/redactions/${requestId}`);
        return body.state === 'pending' ? undefined : body;
      },
      30_000,
      () => worker.output(),
    );
  const redacted = async (id: string, body: unknown = { all: true }) => {
    const accepted = await redact(id, body);
    expect(accepted.status).toBe(202);
    const done = await untilFinished(id, accepted.body.id);
    expect(done.state).toBe('done');
    return done;
  };
  /** A download over plain fetch (the body is the file, not JSON), checked against the OpenAPI document. */
  const download = async (id: string, variant?: string, key = api.adminKey) => {
    const path = `/v1/log-files/${id}/content${variant ? `?variant=${variant}` : ''}`;
    const response = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const bytes = Buffer.from(await response.arrayBuffer());
    const json =
      response.headers.get('content-type')?.startsWith('application/json') && response.status >= 400 ? JSON.parse(bytes.toString()) : null;
    expect(api.openapi.check('GET', path, response.status, json, response.headers)).toEqual([]);
    return { status: response.status, headers: response.headers, bytes, code: json?.error?.code as string | undefined };
  };
  const audits = (action: string, entityId: string) =>
    api.db.prepare(`SELECT user_id, details FROM audit_log WHERE action = ? AND entity_id = ? ORDER BY rowid`).all(action, entityId) as {
      user_id: string;
      details: string;
    }[];
  const blobPath = (table: 'log_files' | 'log_file_redactions', id: string) => {
    const row = api.db
      .prepare(
        table === 'log_files'
          ? 'SELECT file_path AS p FROM log_files WHERE id = ?'
          : 'SELECT redacted_path AS p FROM log_file_redactions WHERE log_file_id = ?',
      )
      .get(id) as { p: string };
    return join(api.dataDir, row.p);
  };
  const flipByte = (path: string, at: number) => {
    const raw = readFileSync(path);
    raw[at] ^= 1;
    writeFileSync(path, raw);
  };

  describe('GET /v1/log-files/:id/pii-spans', () => {
    let fileId: string;
    beforeAll(async () => (fileId = await upload(LOG)));

    it('lists the spans in file order, masked, with their replacements; never the original values', async () => {
      const items = await listSpans(fileId, '', reader);
      const engine = scanBuffer(Buffer.from(LOG));
      expect(items.map((s) => [s.pii_type, s.start_offset])).toEqual(engine.map((s) => [s.pii_type, s.start]));
      expect(items.find((s) => s.pii_type === 'Email')).toMatchObject({
        masked_value: 'j***@e***.org',
        original_value: null,
        wiped: false,
        replacement: '[Email]',
      });
      expect(JSON.stringify(items)).not.toContain(AWS_KEY);
    });

    it('filters by pii_type (repeatable), and pages with a cursor that neither skips nor repeats', async () => {
      const all = await listSpans(fileId);
      expect((await listSpans(fileId, '&pii_type=Email&pii_type=IPv4')).map((s) => s.pii_type).sort()).toEqual(['Email', 'IPv4']);
      const paged: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const { body }: { body: { items: SpanItem[]; next_cursor: string | null } } = await api.call(
          'GET',
          `/v1/log-files/${fileId}/pii-spans?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        );
        paged.push(...body.items.map((s) => s.id));
        cursor = body.next_cursor;
      }
      expect(paged).toEqual(all.map((s) => s.id));
    });

    it('refuses a cursor made for another filter, or none of ours, with 400 INVALID_CURSOR', async () => {
      const { body } = await api.call('GET', `/v1/log-files/${fileId}/pii-spans?limit=1`);
      expect(failure(await api.call('GET', `/v1/log-files/${fileId}/pii-spans?pii_type=Email&cursor=${body.next_cursor}`))).toEqual([
        400,
        'INVALID_CURSOR',
      ]);
      expect(failure(await api.call('GET', `/v1/log-files/${fileId}/pii-spans?cursor=not-a-cursor`))).toEqual([400, 'INVALID_CURSOR']);
    });

    it.each([
      ['an unknown type', '?pii_type=Shoe'],
      ['a limit out of range', '?limit=0'],
      ['reveal that is not a boolean', '?reveal=maybe'],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, query) => {
      expect(failure(await api.call('GET', `/v1/log-files/${fileId}/pii-spans${query}`))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers an unknown file with 404 LOG_FILE_NOT_FOUND, and a malformed id with 400', async () => {
      expect(failure(await api.call('GET', `/v1/log-files/${UNKNOWN_ID}/pii-spans`))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
      expect(failure(await api.call('GET', `/v1/log-files/nope/pii-spans`))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('reveals originals only to a key holding pii:reveal (admin does not imply it), and audits each reveal', async () => {
      expect(failure(await api.call('GET', `/v1/log-files/${fileId}/pii-spans?reveal=true`, { key: reader }))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await api.call('GET', `/v1/log-files/${fileId}/pii-spans?reveal=true`))).toEqual([403, 'FORBIDDEN']);
      await listSpans(fileId, '', revealer);
      expect(audits('reveal_pii', fileId)).toHaveLength(0);

      const items = await listSpans(fileId, '&reveal=true', revealer);
      expect(items.map((s) => s.original_value)).toEqual(expect.arrayContaining([EMAIL, AWS_KEY, IP]));
      const [entry] = audits('reveal_pii', fileId);
      expect(entry.user_id).toBe('revealer');
      expect(JSON.parse(entry.details)).toEqual({ span_ids: items.map((s) => s.id), count: items.length });
      expect(entry.details).not.toContain(EMAIL);
    });
  });

  describe('POST /v1/log-files/:id/redactions', () => {
    let fileId: string;
    beforeAll(async () => (fileId = await upload(LOG)));
    afterEach(async () => expect((await api.call('GET', `/v1/log-files/${fileId}`)).body.redacted).toBe(false));
    const requestsOf = (id: string) =>
      (api.db.prepare('SELECT count(*) AS n FROM redaction_requests WHERE log_file_id = ?').get(id) as { n: number }).n;

    it.each([
      ['both span_ids and all', { span_ids: [UNKNOWN_ID], all: true }],
      ['all: false', { all: false }],
      ['span_ids that is not a list', { span_ids: 'abc' }],
      ['an unknown field', { all: true, force: true }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      expect(failure(await redact(fileId, body))).toEqual([400, 'VALIDATION_FAILED']);
      expect(requestsOf(fileId)).toBe(0);
    });

    it('refuses an empty approval with 400 EMPTY_APPROVAL: nothing is queued and the file is not marked redacted', async () => {
      expect(failure(await redact(fileId, { span_ids: [] }))).toEqual([400, 'EMPTY_APPROVAL']);
      expect(requestsOf(fileId)).toBe(0);
    });

    it('refuses ids that are not spans of this file with 400 UNKNOWN_SPANS, naming them', async () => {
      const otherFile = await upload(LOG, 'other.log');
      const foreign = await spanIdOf(otherFile, 'Email');
      const own = await spanIdOf(fileId, 'Email');
      const { status, body } = await redact(fileId, { span_ids: [own, foreign, 'no-such-span'] });
      expect([status, body.error.code]).toEqual([400, 'UNKNOWN_SPANS']);
      expect(body.error.details).toEqual({ unknown_span_ids: [foreign, 'no-such-span'].sort(), unknown_count: 2 });
      expect(requestsOf(fileId)).toBe(0);
    });

    it('needs the write scope, and answers an unknown file with 404', async () => {
      expect(failure(await redact(fileId, { all: true }, reader))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await redact(UNKNOWN_ID, { all: true }))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
    });

    it('refuses a file whose detection has not finished with 409 LOG_FILE_NOT_READY', async () => {
      const id = await upload('nothing to see\n', 'failed.log');
      api.db.prepare(`UPDATE log_file_processing SET scan_state = 'failed', failure_reason = 'test' WHERE log_file_id = ?`).run(id);
      const { status, body } = await redact(id, { all: true });
      expect([status, body.error.code, body.error.details]).toEqual([409, 'LOG_FILE_NOT_READY', { status: 'failed' }]);
    });

    it('returns the pending request for any new one while it is pending: every request applies the current decisions', async () => {
      const id = await upload(LOG, 'pending.log');
      const emailSpan = await spanIdOf(id, 'Email');
      // A request the worker never sees (no outbox row), so that it stays pending for as long as the test needs.
      const requestId = newId();
      new RedactionRequestRepository(api.db).insert({
        id: requestId,
        log_file_id: id,
        span_ids: JSON.stringify([emailSpan]),
        requested_by: 'approver',
        state: 'pending',
        failure_reason: null,
        created_at: toDbTimestamp(),
        finished_at: null,
      });
      const again = await redact(id, { span_ids: [emailSpan, emailSpan] });
      expect([again.status, again.body.id, again.body.request_id, again.body.status]).toEqual([202, requestId, requestId, 'pending']);
      const other = await redact(id, { all: true });
      expect([other.status, other.body.id]).toEqual([202, requestId]);
      expect((await api.call('GET', `/v1/log-files/${id}`)).body.redaction).toEqual({ version: null, finalized_at: null, pending: true });
      expect(requestsOf(id)).toBe(1);
    });
  });

  describe('the redact job and downloads', () => {
    it('redacts every span when only one was approved (issue 12: the rest stayed in clear), wipes nothing, and redoes on request', async () => {
      const id = await upload(LOG);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=redacted`))).toEqual([409, 'NOT_REDACTED']);
      const approved = [await spanIdOf(id, 'IPv4')];
      const spans = await listSpans(id);

      const accepted = await redact(id, { span_ids: approved });
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({
        log_file_id: id,
        all: false,
        span_ids: approved,
        state: 'pending',
        status: 'pending',
        version: null,
        requested_by: 'approver',
      });
      expect(accepted.body).not.toHaveProperty('result');
      const done = await untilFinished(id, accepted.body.id);
      expect(done).toMatchObject({
        state: 'done',
        version: 1,
        failure_reason: null,
        result: { span_count: spans.length, original_sha256: sha256(LOG) },
      });
      expect((await api.call('GET', `/v1/log-files/${id}`)).body).toMatchObject({
        redacted: true,
        content_hash: sha256(LOG),
        redaction: { version: 1, finalized_at: null, pending: false },
      });

      const copy = await download(id, undefined, reader);
      expect(copy.status).toBe(200);
      expect(copy.headers.get('content-type')).toBe('text/plain');
      expect(copy.headers.get('content-disposition')).toBe(`attachment; filename="app.redacted.log"; filename*=UTF-8''app.redacted.log`);
      expect(copy.headers.get('x-content-type-options')).toBe('nosniff');
      expect(copy.headers.get('cache-control')).toBe('no-store');
      expect(sha256(copy.bytes)).toBe(done.result.redacted_sha256);
      const text = copy.bytes.toString();
      expect(text).toContain('user [Email] paid');
      expect(text).toContain('aws_access_key_id=[AwsAccessKey]');
      for (const secret of [EMAIL, AWS_KEY, CARD, IP]) expect([secret, copy.bytes.includes(Buffer.from(secret))]).toEqual([secret, false]);

      // Nothing was wiped: a redaction is no longer final.
      const after = await listSpans(id, '&reveal=true', revealer);
      expect(after.every((s) => !s.wiped && s.masked_value !== null && s.original_value !== null)).toBe(true);
      expect(audits('request_redaction', id).map((a) => a.user_id)).toEqual(['approver']);
      const [applied] = audits('apply_redactions', id);
      expect(applied.user_id).toBe('approver');
      expect(JSON.parse(applied.details)).toMatchObject({
        request_id: accepted.body.id,
        version: 1,
        original_sha256: sha256(LOG),
        redacted_sha256: sha256(copy.bytes),
      });

      // all: true after a partial approval is a new version, not 409 forever.
      const redo = await redacted(id, { all: true });
      expect(redo).toMatchObject({ state: 'done', version: 2 });
      expect((await api.call('GET', `/v1/log-files/${id}`)).body.redaction).toEqual({ version: 2, finalized_at: null, pending: false });
    });

    it('all: true redacts every span: the engine finds none of the originals in the copy', async () => {
      const id = await upload(LOG);
      const originals = (await listSpans(id, '&reveal=true', revealer)).map((s) => s.original_value as string);
      await redacted(id);
      const { bytes } = await download(id, 'redacted');
      for (const value of originals) expect([value, bytes.includes(Buffer.from(value))]).toEqual([value, false]);
      expect(scanBuffer(bytes).filter((s) => originals.includes(s.original.toString()))).toEqual([]);
    });

    it('serves the original only with pii:reveal, and audits the download with the key’s name', async () => {
      const id = await upload(LOG, 'orig.log');
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=original`, { key: reader }))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=original`))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=copy`))).toEqual([400, 'VALIDATION_FAILED']);
      expect(audits('download_original_log_file', id)).toHaveLength(0);

      const original = await download(id, 'original', revealer);
      expect([original.status, original.bytes.toString()]).toEqual([200, LOG]);
      expect(original.headers.get('content-disposition')).toBe(`attachment; filename="orig.log"; filename*=UTF-8''orig.log`);
      const entries = audits('download_original_log_file', id);
      expect(entries.map((e) => e.user_id)).toEqual(['revealer']);
      expect(JSON.parse(entries[0].details)).toEqual({ content_hash: sha256(LOG), file_size: Buffer.byteLength(LOG) });
    });

    it('answers a redaction request it does not know, or of another file, with 404 REDACTION_REQUEST_NOT_FOUND', async () => {
      const a = await upload(LOG);
      const b = await upload(LOG);
      const done = await redacted(a);
      expect(failure(await api.call('GET', `/v1/log-files/${b}/redactions/${done.id}`))).toEqual([404, 'REDACTION_REQUEST_NOT_FOUND']);
      expect(failure(await api.call('GET', `/v1/log-files/${a}/redactions/${UNKNOWN_ID}`))).toEqual([404, 'REDACTION_REQUEST_NOT_FOUND']);
      expect(failure(await api.call('GET', `/v1/log-files/${UNKNOWN_ID}/redactions/${done.id}`))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
    });

    it('never serves a tampered blob: 500 STORED_FILE_CORRUPT, and no audit of an original that was not served', async () => {
      const id = await upload(LOG);
      await redacted(id);
      flipByte(blobPath('log_file_redactions', id), HEADER_SIZE + 3);
      const copy = await download(id, 'redacted');
      expect([copy.status, copy.code]).toEqual([500, 'STORED_FILE_CORRUPT']);
      expect(copy.bytes.toString()).not.toContain('[Email]');
      flipByte(blobPath('log_files', id), HEADER_SIZE + 3);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=original`, { key: revealer }))).toEqual([
        500,
        'STORED_FILE_CORRUPT',
      ]);
      expect(audits('download_original_log_file', id)).toHaveLength(0);
    });

    it('streams a large file, and cuts the connection at a tampered chunk instead of completing the response', async () => {
      // Past what the first read decrypts (256 KiB of blob), so that the damage is met after the headers went.
      const big = `${LOG}\n`.repeat(Math.ceil((16 * CHUNK_SIZE) / LOG.length));
      const id = await upload(big, 'big.log');
      // Multipart once cut files at 1 MiB (Fastify's bodyLimit) and still answered 202.
      expect((await api.call('GET', `/v1/log-files/${id}`)).body.file_size).toBe(Buffer.byteLength(big));
      const content = api.app.get(LogFileContentService);
      content.fullDecryptLimit = 1024;
      try {
        const whole = await download(id, 'original', revealer);
        expect([whole.status, whole.headers.get('content-length'), whole.bytes.equals(Buffer.from(big))]).toEqual([
          200,
          String(Buffer.byteLength(big)),
          true,
        ]);

        flipByte(blobPath('log_files', id), HEADER_SIZE + 12 * (CHUNK_SIZE + TAG_SIZE) + 10);
        const response = await fetch(`${api.base}/v1/log-files/${id}/content?variant=original`, {
          headers: { authorization: `Bearer ${revealer}` },
        });
        expect(response.status).toBe(200);
        await expect(response.arrayBuffer()).rejects.toThrow();

        flipByte(blobPath('log_files', id), HEADER_SIZE + 10);
        expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=original`, { key: revealer }))).toEqual([
          500,
          'STORED_FILE_CORRUPT',
        ]);
      } finally {
        content.fullDecryptLimit = FULL_DECRYPT_LIMIT;
      }
    });

    it('answers a stored file that is gone with 410 STORED_FILE_MISSING', async () => {
      const id = await upload(LOG);
      unlinkSync(blobPath('log_files', id));
      expect(failure(await api.call('GET', `/v1/log-files/${id}/content?variant=original`, { key: revealer }))).toEqual([
        410,
        'STORED_FILE_MISSING',
      ]);
    });

    it('removes the redacted copy with the issue', async () => {
      const issue = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
      const id = await upload(LOG, 'gone.log', issue);
      await redacted(id);
      const copy = blobPath('log_file_redactions', id);
      expect(existsSync(copy)).toBe(true);
      expect((await api.call('DELETE', `/v1/issues/${issue}`)).status).toBe(204);
      expect(existsSync(copy)).toBe(false);
    });
  });
});

import { createHash } from 'node:crypto';
import { waitFor } from '../support/app-processes';
import { failure, useTestStack } from '../support/api-harness';
import { factory } from '../support/factory';

/** The attack of issue 12: one log with every kind of secret, one IP repeated across lines. */
const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
const CARD = '4111 1111 1111 1111';
const SSN = '123-45-6789';
const IP = '10.20.30.40';
const HOST_SECRET = 'tenant-acme-prod-7';
const LOG = [
  `2026-11-27 10:00:01 INFO  c.e.Checkout - user ${EMAIL} paid with ${CARD} from ${IP}`,
  `2026-11-27 10:00:02 WARN  c.e.Sync - using aws_access_key_id=${AWS_KEY} from ${IP}`,
  `2026-11-27 10:00:03 ERROR c.e.Sync - timeout after 30000 ms for ${HOST_SECRET}; ssn ${SSN}`,
  `2026-11-27 10:00:04 INFO  c.e.Sync - retry from ${IP} ok (${HOST_SECRET})`,
].join('\n');
const UNKNOWN_ID = '0190b6c4-1a2b-7c3d-8e4f-0123456789ab';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface ValueItem {
  value_id: string;
  type: string;
  masked: string;
  count: number;
  first_line: number;
  decision: 'redact' | 'keep';
  decided: boolean;
  value?: string | null;
}

describe('reviewing by value and by line, deciding and finalizing (issue 12), with the real worker', () => {
  const { api, worker } = useTestStack('pii-review');
  let issueId: string;
  let reader: string;
  let writer: string;
  let reviewer: string;

  beforeAll(async () => {
    issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
    reader = api.createKey('reader', ['read']);
    writer = api.createKey('writer', ['read', 'write']);
    reviewer = api.createKey('reviewer', ['read', 'write', 'pii:reveal']);
  });

  const upload = async (content: string, issue = issueId): Promise<string> => {
    const form = new FormData();
    form.append('file', new Blob([content]), 'app.log');
    const { status, body } = await api.call('POST', `/v1/issues/${issue}/log-files`, { rawBody: form });
    expect(status).toBe(202);
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${body.id}`)).body.status === 'ready',
      30_000,
      () => worker.output(),
    );
    return body.id;
  };
  const values = async (id: string, query = '', key = reader): Promise<ValueItem[]> => {
    const { status, body } = await api.call('GET', `/v1/log-files/${id}/pii/values?limit=500${query}`, { key });
    expect(status).toBe(200);
    return body.items;
  };
  const valueOf = async (id: string, type: string) => (await values(id, `&type=${type}`))[0];
  const decide = (id: string, decisions: unknown[], key = reviewer) =>
    api.call('POST', `/v1/log-files/${id}/decisions`, { body: { decisions }, key });
  const apply = async (id: string) => {
    const accepted = await api.call('POST', `/v1/log-files/${id}/redactions`, { body: {}, key: writer });
    expect(accepted.status).toBe(202);
    return waitFor(
      async () => {
        const { body } = await api.call('GET', `/v1/log-files/${id}/redactions/${accepted.body.request_id}`);
        return body.state === 'pending' ? undefined : body;
      },
      30_000,
      () => worker.output(),
    );
  };
  const redactedText = async (id: string) => {
    const response = await fetch(`${api.base}/v1/log-files/${id}/content`, { headers: { authorization: `Bearer ${reader}` } });
    expect(response.status).toBe(200);
    return response.text();
  };
  const audits = (action: string, entityId: string) =>
    api.db.prepare(`SELECT user_id, details FROM audit_log WHERE action = ? AND entity_id = ? ORDER BY rowid`).all(action, entityId) as {
      user_id: string;
      details: string;
    }[];

  describe('GET pii/values and pii/totals', () => {
    let id: string;
    beforeAll(async () => (id = await upload(LOG)));

    it('lists each distinct value once, with its count, first line and decision, masked; never the value', async () => {
      const items = await values(id);
      const ip = items.find((v) => v.type === 'IPv4')!;
      expect(ip).toMatchObject({ count: 3, first_line: 1, decision: 'redact', decided: false });
      expect(ip.masked).not.toBe(IP);
      expect(ip).not.toHaveProperty('value');
      // Most frequent first.
      expect(items[0].count).toBeGreaterThanOrEqual(items[items.length - 1].count);
      const body = JSON.stringify(items);
      for (const secret of [EMAIL, AWS_KEY, IP, SSN]) expect(body).not.toContain(secret);
      expect(ip.value_id).toMatch(/^[0-9a-f]{32}$/);
    });

    it('reveals values only with pii:reveal, audited as reveal_pii with value ids, never values', async () => {
      expect(failure(await api.call('GET', `/v1/log-files/${id}/pii/values?reveal=true`, { key: writer }))).toEqual([403, 'FORBIDDEN']);
      const items = await values(id, '&reveal=true', reviewer);
      expect(items.find((v) => v.type === 'IPv4')?.value).toBe(IP);
      const [entry] = audits('reveal_pii', id);
      expect(entry.user_id).toBe('reviewer');
      expect(JSON.parse(entry.details)).toEqual({ value_ids: items.map((v) => v.value_id), count: items.length });
      expect(entry.details).not.toContain(IP);
    });

    it('pages with a cursor bound to its filters', async () => {
      const all = await values(id);
      const paged: string[] = [];
      let cursor: string | null = '';
      while (cursor !== null) {
        const { body }: { body: { items: ValueItem[]; next_cursor: string | null } } = await api.call(
          'GET',
          `/v1/log-files/${id}/pii/values?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        paged.push(...body.items.map((v) => v.value_id));
        cursor = body.next_cursor;
      }
      expect(paged).toEqual(all.map((v) => v.value_id));
      const { body } = await api.call('GET', `/v1/log-files/${id}/pii/values?limit=1`);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/pii/values?type=IPv4&cursor=${body.next_cursor}`))).toEqual([
        400,
        'INVALID_CURSOR',
      ]);
    });

    it('totals spans, values and kept spans per type', async () => {
      const { status, body } = await api.call('GET', `/v1/log-files/${id}/pii/totals`);
      expect(status).toBe(200);
      expect(body.totals.find((t: { type: string }) => t.type === 'IPv4')).toEqual({ type: 'IPv4', spans: 3, values: 1, kept: 0 });
      const listed = await values(id);
      expect(body.values).toBe(listed.length);
      expect(body.spans).toBe(listed.reduce((n, v) => n + v.count, 0));
    });

    it('answers an unknown file with 404 and a bad filter with 400', async () => {
      expect(failure(await api.call('GET', `/v1/log-files/${UNKNOWN_ID}/pii/values`))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
      expect(failure(await api.call('GET', `/v1/log-files/${id}/pii/values?decision=maybe`))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await api.call('GET', `/v1/log-files/${UNKNOWN_ID}/pii/totals`))).toEqual([404, 'LOG_FILE_NOT_FOUND']);
    });
  });

  describe('GET lines', () => {
    let id: string;
    beforeAll(async () => (id = await upload(LOG)));

    it('shows a window of lines with byte offsets, every span masked and overlaid at its place in the shown text', async () => {
      const { status, body } = await api.call('GET', `/v1/log-files/${id}/lines?from=2&count=2`, { key: reader });
      expect(status).toBe(200);
      expect(body).toMatchObject({ from: 2, count: 2, total_lines: 4 });
      const lines = LOG.split('\n');
      const [second, third] = body.lines;
      expect(second).toMatchObject({
        number: 2,
        byte_start: Buffer.byteLength(lines[0]) + 1,
        byte_end: Buffer.byteLength(lines[0]) + 1 + Buffer.byteLength(lines[1]),
      });
      expect(third.number).toBe(3);
      for (const line of body.lines) {
        for (const secret of [EMAIL, AWS_KEY, IP, SSN]) expect(line.text).not.toContain(secret);
        for (const span of line.spans)
          expect(span).toMatchObject({ decision: 'redact', source: 'detector', value_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      }
      const ipSpan = second.spans.find((s: { type: string }) => s.type === 'IPv4');
      expect(second.text.slice(ipSpan.start, ipSpan.end)).not.toBe(IP);
      expect(second.text.slice(0, ipSpan.start)).toBe(
        lines[1].slice(0, lines[1].lastIndexOf(IP)).replace(AWS_KEY, second.text.slice(second.spans[0].start, second.spans[0].end)),
      );
    });

    it('reveals the values only with pii:reveal, audited as reveal_pii', async () => {
      expect(failure(await api.call('GET', `/v1/log-files/${id}/lines?reveal=true`, { key: writer }))).toEqual([403, 'FORBIDDEN']);
      const before = audits('reveal_pii', id).length;
      const { body } = await api.call('GET', `/v1/log-files/${id}/lines?from=1&count=200&reveal=true`, { key: reviewer });
      expect(body.lines.map((l: { text: string }) => l.text)).toEqual(LOG.split('\n'));
      const ipSpan = body.lines[0].spans.find((s: { type: string }) => s.type === 'IPv4');
      expect(body.lines[0].text.slice(ipSpan.start, ipSpan.end)).toBe(IP);
      expect(audits('reveal_pii', id)).toHaveLength(before + 1);
      expect(audits('reveal_pii', id)[before].user_id).toBe('reviewer');
    });

    it('masks a span that began on an earlier line: a private key shown from its middle shows none of it', async () => {
      const body64 = [
        'MIIEowIBAAKCAQEAwJx0cZ3f8Qz1u1XfE2S4bq9cVYkq7x2m1bX0a8h3GmZp9T7s',
        'k2Vd0T5n9w8E1pC6r3Y7uL2sQ4hF0gJ9kM1nB3vC5xZ7aS8dF2gH4jK6lP0oI9u',
        'Y7tR5eW3qA1zX9cV7bN5mL3kJ1hG9fD7sA5pO3iU1yT9rE7wQ5aZ3xC1vB9nM7k',
      ];
      const log = [
        '2026-11-27 10:00:01 INFO loading key',
        '-----BEGIN RSA PRIVATE KEY-----',
        ...body64,
        '-----END RSA PRIVATE KEY-----',
        '2026-11-27 10:00:02 INFO done',
      ].join('\n');
      const keyFile = await upload(log);
      const { body } = await api.call('GET', `/v1/log-files/${keyFile}/lines?from=4&count=2`);
      expect(body.lines.map((l: { number: number }) => l.number)).toEqual([4, 5]);
      for (const line of body.lines) {
        for (const b of body64) expect(line.text).not.toContain(b);
        expect(line.spans).toEqual([expect.objectContaining({ type: 'PrivateKey', start: 0 })]);
      }
    });

    it('answers past the end with no lines, and refuses a count over 1000', async () => {
      expect((await api.call('GET', `/v1/log-files/${id}/lines?from=99`)).body).toEqual({ from: 99, count: 0, total_lines: 4, lines: [] });
      expect(failure(await api.call('GET', `/v1/log-files/${id}/lines?count=1001`))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('finds the right lines deep in a file, past many index steps', async () => {
      const many = Array.from({ length: 2000 }, (_, i) => `line ${i + 1} from 192.0.2.${i % 250}`).join('\n');
      const big = await upload(many);
      const { body } = await api.call('GET', `/v1/log-files/${big}/lines?from=1500&count=3`);
      expect(body.total_lines).toBe(2000);
      expect(body.lines.map((l: { number: number; text: string }) => [l.number, l.text.split(' from ')[0]])).toEqual([
        [1500, 'line 1500'],
        [1501, 'line 1501'],
        [1502, 'line 1502'],
      ]);
      expect(body.lines[0].text).not.toContain('192.0.2.');
    });
  });

  describe('POST decisions, then redactions', () => {
    it('keeps a value only by an explicit keep with pii:reveal, audited with the key name and the SHA-256 of the value', async () => {
      const id = await upload(LOG);
      const ip = await valueOf(id, 'IPv4');
      expect(failure(await decide(id, [{ value_id: ip.value_id, decision: 'keep' }], writer))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await decide(id, [{ value_id: ip.value_id, decision: 'keep' }], reader))).toEqual([403, 'FORBIDDEN']);
      const ok = await decide(id, [{ value_id: ip.value_id, decision: 'keep' }]);
      expect([ok.status, ok.body]).toEqual([200, { updated: 1 }]);
      expect(await valueOf(id, 'IPv4')).toMatchObject({ decision: 'keep', decided: true });
      const [keep] = audits('keep_pii', id);
      expect(keep.user_id).toBe('reviewer');
      expect(JSON.parse(keep.details)).toEqual({ key_name: 'reviewer', value_id: ip.value_id, span_id: null, value_sha256: sha256(IP) });
      expect(keep.details).not.toContain(IP);

      const first = await apply(id);
      expect(first).toMatchObject({ state: 'done', version: 1 });
      let text = await redactedText(id);
      expect(text.split(IP)).toHaveLength(4);
      for (const secret of [EMAIL, AWS_KEY, CARD, SSN]) expect([secret, text.includes(secret)]).toEqual([secret, false]);

      // A redact decision by a writer (no reveal needed), then a new version without it.
      expect((await decide(id, [{ value_id: ip.value_id, decision: 'redact' }], writer)).status).toBe(200);
      expect(await apply(id)).toMatchObject({ version: 2 });
      text = await redactedText(id);
      expect(text).not.toContain(IP);
      const { body: totals } = await api.call('GET', `/v1/log-files/${id}/pii/totals`);
      expect(totals.totals.find((t: { type: string }) => t.type === 'IPv4').kept).toBe(0);
    });

    it('overrides one span of a value, and clear goes back to redacted by default', async () => {
      const id = await upload(LOG);
      const ip = await valueOf(id, 'IPv4');
      const { body } = await api.call('GET', `/v1/log-files/${id}/lines?from=1&count=4`);
      const firstIpSpan = body.lines[0].spans.find((s: { type: string }) => s.type === 'IPv4').span_id;
      expect(
        (
          await decide(id, [
            { value_id: ip.value_id, decision: 'keep' },
            { span_id: firstIpSpan, decision: 'redact' },
          ])
        ).status,
      ).toBe(200);
      const { body: totals } = await api.call('GET', `/v1/log-files/${id}/pii/totals`);
      expect(totals.totals.find((t: { type: string }) => t.type === 'IPv4').kept).toBe(2);
      await apply(id);
      const text = await redactedText(id);
      expect(text.split('\n')[0]).not.toContain(IP);
      expect(text.split(IP)).toHaveLength(3);
      expect((await decide(id, [{ value_id: ip.value_id, decision: 'clear' }], writer)).status).toBe(200);
      await apply(id);
      expect(await redactedText(id)).not.toContain(IP);
    });

    it('refuses malformed and foreign decisions with 400, writing nothing', async () => {
      const id = await upload(LOG);
      const other = await upload(LOG);
      const foreign = await valueOf(other, 'Email');
      const ip = await valueOf(id, 'IPv4');
      expect(failure(await decide(id, [{ value_id: ip.value_id, span_id: 'x', decision: 'redact' }]))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await decide(id, [{ decision: 'redact' }]))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await decide(id, [{ value_id: ip.value_id, decision: 'maybe' }]))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await decide(id, []))).toEqual([400, 'VALIDATION_FAILED']);
      // Value ids name (type, value), so the same value in another file has the same id: an unknown one is refused.
      expect(foreign.value_id).toBe((await valueOf(id, 'Email')).value_id);
      const { status, body } = await decide(id, [
        { value_id: ip.value_id, decision: 'redact' },
        { value_id: 'f'.repeat(32), decision: 'redact' },
      ]);
      expect([status, body.error.code, body.error.details]).toEqual([
        400,
        'UNKNOWN_PII_VALUES',
        { unknown_value_ids: ['f'.repeat(32)], unknown_count: 1 },
      ]);
      expect(failure(await decide(id, [{ span_id: UNKNOWN_ID, decision: 'redact' }]))).toEqual([400, 'UNKNOWN_SPANS']);
      expect((await valueOf(id, 'IPv4')).decided).toBe(false);
    });

    it('applies a decision to every file of the issue when pii.decision_scope is issue', async () => {
      const issue = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
      const a = await upload(LOG, issue);
      const b = await upload(`2026-11-28 09:00:00 INFO db - connection from ${IP} refused`, issue);
      expect((await api.call('PUT', '/v1/settings/pii.decision_scope', { body: { value: 'issue' } })).status).toBe(200);
      try {
        const ip = await valueOf(a, 'IPv4');
        expect((await decide(a, [{ value_id: ip.value_id, decision: 'keep' }])).status).toBe(200);
        expect(await valueOf(b, 'IPv4')).toMatchObject({ value_id: ip.value_id, decision: 'keep', decided: true });
        await apply(b);
        expect(await redactedText(b)).toContain(IP);
      } finally {
        await api.call('PUT', '/v1/settings/pii.decision_scope', { body: { value: 'file' } });
      }
    });
  });

  describe('pii.replacement_style = pseudonym', () => {
    it('gives the same value the same token on every line and in every version, revealing nothing', async () => {
      const id = await upload(LOG);
      expect((await api.call('PUT', '/v1/settings/pii.replacement_style', { body: { value: 'pseudonym' } })).status).toBe(200);
      try {
        await apply(id);
        const first = await redactedText(id);
        const tokens = first.split('\n').map((line) => line.match(/\[IPv4-\d+\]/)?.[0]);
        expect(tokens[0]).toMatch(/^\[IPv4-\d+\]$/);
        expect([tokens[1], tokens[3]]).toEqual([tokens[0], tokens[0]]);
        expect(first).not.toContain(IP);
        await apply(id);
        expect(await redactedText(id)).toBe(first);
      } finally {
        await api.call('PUT', '/v1/settings/pii.replacement_style', { body: { value: 'type' } });
      }
    });
  });

  describe('POST manual-spans', () => {
    it('adds every occurrence of a literal and a byte range as manual spans, audited, and redacts them', async () => {
      const id = await upload(LOG);
      const literal = await api.call('POST', `/v1/log-files/${id}/manual-spans`, {
        body: { literal: HOST_SECRET, type: 'Tenant' },
        key: writer,
      });
      expect(literal.status).toBe(201);
      expect(literal.body.spans).toHaveLength(2);
      expect(literal.body.spans[0]).toMatchObject({
        start: Buffer.from(LOG).indexOf(HOST_SECRET),
        end: Buffer.from(LOG).indexOf(HOST_SECRET) + HOST_SECRET.length,
        type: 'Tenant',
      });
      const start = Buffer.from(LOG).indexOf('c.e.Checkout');
      const range = await api.call('POST', `/v1/log-files/${id}/manual-spans`, {
        body: { start, end: start + 'c.e.Checkout'.length },
        key: writer,
      });
      expect([range.status, range.body.spans[0].type]).toEqual([201, 'manual']);

      expect(await valueOf(id, 'Tenant')).toMatchObject({ count: 2, first_line: 3, decision: 'redact' });
      const { body } = await api.call('GET', `/v1/log-files/${id}/lines?from=3&count=1`);
      expect(body.lines[0].text).not.toContain(HOST_SECRET);
      expect(body.lines[0].spans.find((s: { type: string }) => s.type === 'Tenant')).toMatchObject({ source: 'manual' });
      const entries = audits('add_manual_pii_spans', id);
      expect(entries.map((e) => [e.user_id, JSON.parse(e.details).mode, JSON.parse(e.details).count])).toEqual([
        ['writer', 'literal', 2],
        ['writer', 'range', 1],
      ]);
      expect(entries[0].details).not.toContain(HOST_SECRET);

      await apply(id);
      const text = await redactedText(id);
      expect(text).not.toContain(HOST_SECRET);
      expect(text).not.toContain('c.e.Checkout');
      expect(text).toContain('[Tenant]');
    });

    it('refuses a range past the end, empty or too long with 400 INVALID_SPAN_RANGE, and mixed forms with 400 VALIDATION_FAILED', async () => {
      const id = await upload(LOG);
      const size = Buffer.byteLength(LOG);
      for (const body of [
        { start: 5, end: 5 },
        { start: 0, end: size + 1 },
      ]) {
        expect(failure(await api.call('POST', `/v1/log-files/${id}/manual-spans`, { body, key: writer }))).toEqual([
          400,
          'INVALID_SPAN_RANGE',
        ]);
      }
      expect(
        failure(await api.call('POST', `/v1/log-files/${id}/manual-spans`, { body: { start: 0, end: 4, literal: 'x' }, key: writer })),
      ).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await api.call('POST', `/v1/log-files/${id}/manual-spans`, { body: { start: 0 }, key: writer }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      expect(failure(await api.call('POST', `/v1/log-files/${id}/manual-spans`, { body: { literal: 'x' }, key: reader }))).toEqual([
        403,
        'FORBIDDEN',
      ]);
    });
  });

  describe('POST finalize', () => {
    it('writes the final version, wipes the originals, and refuses every later change with 409 LOG_FILE_FINALIZED', async () => {
      const id = await upload(LOG);
      const ip = await valueOf(id, 'IPv4');
      expect((await decide(id, [{ value_id: ip.value_id, decision: 'keep' }])).status).toBe(200);
      const accepted = await api.call('POST', `/v1/log-files/${id}/finalize`, { key: writer });
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ finalized_at: null, request_id: expect.any(String) });
      const summary = await waitFor(
        async () => {
          const { body } = await api.call('GET', `/v1/log-files/${id}`);
          return body.redaction.finalized_at ? body.redaction : undefined;
        },
        30_000,
        () => worker.output(),
      );
      expect(summary).toMatchObject({ version: 1, pending: false });
      const text = await redactedText(id);
      expect(text).toContain(IP);
      expect(text).not.toContain(EMAIL);

      const spans = (await api.call('GET', `/v1/log-files/${id}/pii-spans?limit=500&reveal=true`, { key: reviewer })).body.items;
      expect(spans.every((s: { wiped: boolean; original_value: string | null }) => s.wiped && s.original_value === null)).toBe(true);
      expect(await valueOf(id, 'IPv4')).toMatchObject({ masked: ip.masked, decision: 'keep' });

      expect(failure(await decide(id, [{ value_id: ip.value_id, decision: 'redact' }]))).toEqual([409, 'LOG_FILE_FINALIZED']);
      expect(failure(await api.call('POST', `/v1/log-files/${id}/redactions`, { body: { all: true }, key: writer }))).toEqual([
        409,
        'LOG_FILE_FINALIZED',
      ]);
      expect(failure(await api.call('POST', `/v1/log-files/${id}/manual-spans`, { body: { literal: 'ERROR' }, key: writer }))).toEqual([
        409,
        'LOG_FILE_FINALIZED',
      ]);
      const again = await api.call('POST', `/v1/log-files/${id}/finalize`, { key: writer });
      expect([again.status, again.body]).toEqual([202, { finalized_at: summary.finalized_at, request_id: null }]);
      expect(audits('finalize_log_file', id)).toHaveLength(1);
    });
  });
});

import fc from 'fast-check';
import { failure, useTestApi } from '../support/api-harness';

/**
 * Percent-encodes the UTF-8 bytes of everything but unreserved characters, so any string (lone surrogates
 * too) can go into a query. Node refuses request lines over 16 KiB with 431 before the app sees them.
 */
function encodeQuery(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');
}

describe('listing and searching issues', () => {
  const api = useTestApi('issue-list');
  let readKey: string;

  beforeAll(async () => {
    readKey = api.createKey('reader', ['read']);
  });

  const createIssue = (overrides: Record<string, unknown> = {}) => api.createIssue(overrides);

  describe('GET /v1/issues', () => {
    let ids: Record<string, string>;
    const tag = `list-${Date.now()}`;

    beforeAll(async () => {
      ids = {};
      const rows: [string, Record<string, unknown>, string][] = [
        ['a', { severity: 'low', status: 'open', assigned_to: 'ana', tags: [tag, 'db'] }, '2026-01-01 10:00:00'],
        ['b', { severity: 'critical', status: 'investigating', assigned_to: 'ben', tags: [tag] }, '2026-01-02 10:00:00'],
        ['c', { severity: 'medium', status: 'open', category: 'network', tags: [tag, 'db'] }, '2026-01-03 10:00:00'],
        ['d', { severity: 'critical', status: 'closed', tags: [tag] }, '2026-01-04 10:00:00'],
        ['e', { severity: 'high', status: 'open', tags: [tag, 'db', 'prod'] }, '2026-01-05 10:00:00'],
      ];
      for (const [name, overrides, at] of rows) {
        const issue = await createIssue(overrides);
        // Distinct, known times: the API stamps "now", which is the same second for all of them.
        api.db.prepare('UPDATE issues SET created_at = ?, updated_at = ? WHERE id = ?').run(at, at, issue.id);
        ids[name] = issue.id;
      }
    });

    const names = (items: { id: string }[]) => items.map((i) => Object.keys(ids).find((k) => ids[k] === i.id));

    it('lists newest-updated first by default', async () => {
      const { status, body } = await api.call('GET', `/v1/issues?tag=${tag}`, { key: readKey });
      expect(status).toBe(200);
      expect(names(body.items)).toEqual(['e', 'd', 'c', 'b', 'a']);
      expect([body.next_cursor, body.total]).toEqual([null, null]);
    });

    it('filters by status, severity, category, assigned_to and every repeated tag', async () => {
      const list = async (query: string) => names((await api.call('GET', `/v1/issues?tag=${tag}&${query}`)).body.items);
      expect(await list('status=open')).toEqual(['e', 'c', 'a']);
      expect(await list('severity=critical')).toEqual(['d', 'b']);
      expect(await list('category=network')).toEqual(['c']);
      expect(await list('assigned_to=ben')).toEqual(['b']);
      expect(await list('tag=db&tag=prod')).toEqual(['e']);
    });

    it('filters by created and updated time ranges, lower bound inclusive, upper exclusive', async () => {
      const list = async (query: string) => names((await api.call('GET', `/v1/issues?tag=${tag}&${query}`)).body.items);
      expect(await list('created_from=2026-01-02T10:00:00Z&created_to=2026-01-04T10:00:00Z')).toEqual(['c', 'b']);
      expect(await list('updated_from=2026-01-05')).toEqual(['e']);
      expect(await list('updated_to=2026-01-01T10:00:01%2B00:00')).toEqual(['a']);
    });

    it('sorts by created_at, by severity (most severe first) and in ascending order', async () => {
      const list = async (query: string) => names((await api.call('GET', `/v1/issues?tag=${tag}&${query}`)).body.items);
      expect(await list('sort=created_at&order=asc')).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await list('sort=severity')).toEqual(['d', 'b', 'e', 'c', 'a']);
      expect(await list('sort=severity&order=asc')).toEqual(['a', 'c', 'e', 'b', 'd']);
    });

    it('pages with an opaque cursor through every issue exactly once, with the total when asked', async () => {
      for (const sort of ['updated_at', 'severity', 'created_at']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const query: string = `/v1/issues?tag=${tag}&sort=${sort}&limit=2&include_total=true${cursor ? `&cursor=${cursor}` : ''}`;
          const { body } = await api.call('GET', query);
          expect(body.total).toBe(5);
          seen.push(...names(body.items).map(String));
          cursor = body.next_cursor;
        } while (cursor);
        expect(seen.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
      }
    });

    it('refuses a cursor from another query or a forged one with 400 INVALID_CURSOR', async () => {
      const { body } = await api.call('GET', `/v1/issues?tag=${tag}&limit=2`);
      expect(failure(await api.call('GET', `/v1/issues?tag=${tag}&limit=2&sort=created_at&cursor=${body.next_cursor}`))).toEqual([
        400,
        'INVALID_CURSOR',
      ]);
      expect(failure(await api.call('GET', `/v1/issues?tag=db&limit=2&cursor=${body.next_cursor}`))).toEqual([400, 'INVALID_CURSOR']);
      expect(failure(await api.call('GET', '/v1/issues?cursor=bm90LWpzb24'))).toEqual([400, 'INVALID_CURSOR']);
    });

    it.each([
      ['limit=201'],
      ['limit=0'],
      ['status=triaging'],
      ['sort=title'],
      ['sort=relevance'],
      ['created_from=yesterday'],
      ['created_from=2024-W01'],
      ['include_total=maybe'],
      ['unknown=1'],
      [`q=${'x'.repeat(1001)}`],
    ])('refuses %s with 400 VALIDATION_FAILED', async (query) => {
      expect(failure(await api.call('GET', `/v1/issues?${query}`))).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('GET /v1/issues?q=', () => {
    let hits: Record<string, string>;

    beforeAll(async () => {
      hits = {
        title: (await createIssue({ title: 'Xylophone cluster outage', description: 'nodes went away' })).id,
        description: (await createIssue({ title: 'Nodes unhealthy', description: 'the xylophone cluster lost quorum' })).id,
        syntax: (await createIssue({ title: 'multi-agent scheduler', description: 'text:secret and NEAR(x) and a"quote' })).id,
      };
    });

    it('ranks a title match above a description match and highlights the match in an escaped snippet', async () => {
      const { status, body } = await api.call('GET', '/v1/issues?q=xylophone');
      expect(status).toBe(200);
      expect(body.items.map((i: { id: string }) => i.id)).toEqual([hits.title, hits.description]);
      expect(body.items[0].snippet).toBe('<mark>Xylophone</mark> cluster outage');
    });

    it('matches a prefix with a trailing *', async () => {
      expect((await api.call('GET', '/v1/issues?q=xyloph*')).body.items).toHaveLength(2);
      expect((await api.call('GET', '/v1/issues?q=xyloph')).body.items).toHaveLength(0);
    });

    it('reads FTS5 syntax as plain words: a column filter, NEAR, a hyphen and a quote', async () => {
      for (const q of ['text:secret', 'NEAR(x)', 'multi-agent', 'a"quote']) {
        const { status, body } = await api.call('GET', `/v1/issues?q=${encodeQuery(q)}`);
        expect([q, status]).toEqual([q, 200]);
        expect(body.items.map((i: { id: string }) => i.id)).toEqual([hits.syntax]);
      }
      expect((await api.call('GET', '/v1/issues?q=xylophone%20OR%20scheduler')).body.items).toEqual([]);
    });

    it('escapes HTML from the issue text in the snippet', async () => {
      const issue = await createIssue({ title: 'Zebrafish <script>alert(1)</script>' });
      const { body } = await api.call('GET', '/v1/issues?q=zebrafish');
      expect(body.items.map((i: { id: string }) => i.id)).toEqual([issue.id]);
      expect(body.items[0].snippet).toBe('<mark>Zebrafish</mark> &#60;script&#62;alert(1)&#60;/script&#62;');
    });

    it('combines search with filters, and pages by relevance', async () => {
      const filtered = await api.call('GET', `/v1/issues?q=xylophone&severity=high&include_total=true&limit=1`);
      expect(filtered.body.total).toBe(2);
      const next = await api.call(
        'GET',
        `/v1/issues?q=xylophone&severity=high&include_total=true&limit=1&cursor=${filtered.body.next_cursor}`,
      );
      expect([...filtered.body.items, ...next.body.items].map((i: { id: string }) => i.id)).toEqual([hits.title, hits.description]);
    });

    it('answers a query without any searchable term with 400 INVALID_SEARCH_QUERY', async () => {
      for (const q of ['', '*', '  ***  ']) {
        expect(failure(await api.call('GET', `/v1/issues?q=${encodeQuery(q)}`))).toEqual([400, 'INVALID_SEARCH_QUERY']);
      }
      expect(
        failure(await api.call('GET', `/v1/issues?q=${encodeQuery(Array.from({ length: 33 }, (_, n) => `w${n}`).join(' '))}`)),
      ).toEqual([400, 'INVALID_SEARCH_QUERY']);
    });

    it('answers any input with 200 or 400, never 500 (property)', async () => {
      const syntax = fc.constantFrom(
        '"',
        '""',
        "'",
        'NEAR(',
        'NEAR(a b, 2)',
        'col:term',
        'title:x',
        'OR',
        'AND',
        'NOT',
        '*',
        '^',
        '-',
        '(',
        ')',
        '{',
        '}',
        ':',
        '+',
        '\u0000',
        '\\',
      );
      const query = fc.oneof(
        fc.array(fc.oneof(syntax, fc.string({ maxLength: 12 })), { maxLength: 12 }).map((parts) => parts.join(' ')),
        fc.array(fc.oneof(syntax, fc.string({ maxLength: 5 })), { maxLength: 12 }).map((parts) => parts.join('')),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.constantFrom(
          'x'.repeat(10_000),
          'é'.repeat(2_000),
          '東京'.repeat(500),
          '" '.repeat(1_500),
          'a* '.repeat(300),
          'NEAR( '.repeat(150),
        ),
      );
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const { status } = await api.call('GET', `/v1/issues?q=${encodeQuery(q)}`);
          expect([200, 400]).toContain(status);
        }),
        { numRuns: 300 },
      );
    });
  });
});

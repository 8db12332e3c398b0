import { factory } from '../support/factory';
import { failure, useTestApi } from '../support/api-harness';

type Row = Record<string, unknown> & { rowid: number; id: string };

describe('audit API', () => {
  const api = useTestApi('audit');
  let writeKey: string;
  let issueIds: string[];

  beforeAll(async () => {
    writeKey = api.createKey('writer', ['write']);
    issueIds = [];
    for (let n = 0; n < 3; n += 1) issueIds.push((await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id);
    await api.call('PATCH', `/v1/issues/${issueIds[0]}`, { key: writeKey, body: { status: 'resolved' } });
    await api.call('PUT', '/v1/settings/ai.model', { body: { value: 'llama3.1:8b' } });
  });

  const rows = () => api.db.prepare('SELECT rowid, * FROM audit_log ORDER BY rowid').all() as Row[];
  const put = (row: Row) =>
    api.db
      .prepare(
        `INSERT INTO audit_log (rowid, id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash)
         VALUES (@rowid, @id, @timestamp, @action, @entity_type, @entity_id, @user_id, @details, @prev_hash, @entry_hash)`,
      )
      .run(row);
  const verify = async () => {
    const { status, body } = await api.call('GET', '/v1/audit/verify');
    expect(status).toBe(200);
    return body;
  };

  describe('GET /v1/audit', () => {
    it('lists entries newest first with the key’s name as user_id and details as JSON', async () => {
      const { status, body } = await api.call('GET', '/v1/audit');
      expect(status).toBe(200);
      expect(body.items.map((e: { action: string }) => e.action).slice(0, 2)).toEqual(['update_setting', 'update_issue']);
      expect(body.items[1]).toMatchObject({
        user_id: 'writer',
        entity_id: issueIds[0],
        details: { fields: ['status'], status_from: 'open', status_to: 'resolved' },
      });
      expect(body.items[0].entry_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('filters by action, entity_type, entity_id and user_id', async () => {
      const list = async (query: string) =>
        (await api.call('GET', `/v1/audit?${query}`)).body.items.map(
          (e: { action: string; entity_id: string }) => `${e.action}:${e.entity_id}`,
        );
      expect(await list('action=create_issue')).toEqual(issueIds.map((id) => `create_issue:${id}`).reverse());
      expect(await list(`entity_type=issue&entity_id=${issueIds[0]}`)).toEqual([
        `update_issue:${issueIds[0]}`,
        `create_issue:${issueIds[0]}`,
      ]);
      expect(await list('user_id=writer')).toEqual([`update_issue:${issueIds[0]}`]);
      expect(await list('entity_type=setting')).toEqual(['update_setting:ai.model']);
    });

    it('honours the time range, which the desktop app ignored', async () => {
      const all = rows();
      api.db.prepare(`UPDATE audit_log SET timestamp = '2020-01-01 00:00:00' WHERE rowid = ?`).run(all[0].rowid);
      try {
        const early = await api.call('GET', '/v1/audit?to=2021-01-01T00:00:00Z');
        expect(early.body.items.map((e: { id: string }) => e.id)).toEqual([all[0].id]);
        const late = await api.call('GET', '/v1/audit?from=2021-01-01T00:00:00Z');
        expect(late.body.items).toHaveLength(all.length - 1);
      } finally {
        api.db.prepare(`UPDATE audit_log SET timestamp = ? WHERE rowid = ?`).run(all[0].timestamp, all[0].rowid);
      }
    });

    it('pages with a cursor through every entry once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; next_cursor: string | null } } = await api.call(
          'GET',
          `/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.body.items.map((e) => e.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      expect(seen).toEqual(
        rows()
          .map((r) => r.id)
          .reverse(),
      );
    });

    it('refuses a forged cursor with 400 INVALID_CURSOR', async () => {
      expect(failure(await api.call('GET', `/v1/audit?cursor=${Buffer.from('{"before":-1}').toString('base64url')}`))).toEqual([
        400,
        'INVALID_CURSOR',
      ]);
    });

    it('refuses a bad filter with 400 VALIDATION_FAILED', async () => {
      expect(failure(await api.call('GET', '/v1/audit?from=last-week'))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await api.call('GET', '/v1/audit?limit=500'))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('needs the admin scope: a write key gets 403 FORBIDDEN', async () => {
      expect(failure(await api.call('GET', '/v1/audit', { key: writeKey }))).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('GET /v1/audit/verify', () => {
    it('reports an intact chain with its head hash', async () => {
      const all = rows();
      expect(await verify()).toEqual({ intact: true, entries: all.length, head_hash: all[all.length - 1].entry_hash });
    });

    it('names the first broken entry after an edit, a deletion, a reordering and a cut tail, and is intact again once each is undone', async () => {
      const all = rows();
      expect(all.length).toBeGreaterThanOrEqual(5);

      api.db.prepare(`UPDATE audit_log SET details = '{"fields":["title"]}' WHERE rowid = ?`).run(all[2].rowid);
      expect(await verify()).toMatchObject({
        intact: false,
        head_hash: null,
        first_broken: { id: all[2].id, position: 3, reason: expect.stringMatching(/edited/) },
      });
      api.db.prepare('UPDATE audit_log SET details = ? WHERE rowid = ?').run(all[2].details, all[2].rowid);
      expect((await verify()).intact).toBe(true);

      api.db.prepare('DELETE FROM audit_log WHERE rowid = ?').run(all[1].rowid);
      expect(await verify()).toMatchObject({
        intact: false,
        first_broken: { id: all[2].id, position: 2, reason: expect.stringMatching(/removed, reordered/) },
      });
      put(all[1]);
      expect((await verify()).intact).toBe(true);

      const swap = (first: Row, second: Row) => {
        api.db.prepare('DELETE FROM audit_log WHERE rowid IN (?, ?)').run(first.rowid, second.rowid);
        put({ ...second, rowid: first.rowid });
        put({ ...first, rowid: second.rowid });
      };
      swap(all[1], all[2]);
      expect(await verify()).toMatchObject({ intact: false, first_broken: { id: all[2].id, position: 2 } });
      api.db.prepare('DELETE FROM audit_log WHERE rowid IN (?, ?)').run(all[1].rowid, all[2].rowid);
      put(all[1]);
      put(all[2]);
      expect((await verify()).intact).toBe(true);

      const last = all[all.length - 1];
      api.db.prepare('DELETE FROM audit_log WHERE rowid = ?').run(last.rowid);
      expect(await verify()).toMatchObject({
        intact: false,
        first_broken: { id: null, position: all.length, reason: expect.stringMatching(/removed from its end/) },
      });
      put(last);
      expect(await verify()).toMatchObject({ intact: true, entries: all.length });
    });

    it('needs the admin scope: a write key gets 403 FORBIDDEN', async () => {
      expect(failure(await api.call('GET', '/v1/audit/verify', { key: writeKey }))).toEqual([403, 'FORBIDDEN']);
    });
  });
});

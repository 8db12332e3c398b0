import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { databaseOptions } from '@tftsr/config';
import type { Db } from '@tftsr/db';
import { openDatabase } from '@tftsr/db';
import { factory } from '../support/factory';
import { failure, useTestApi } from '../support/api-harness';

function count(db: Db, sql: string, ...params: unknown[]): number {
  return (db.prepare(sql).get(...params) as { n: number }).n;
}

describe('issues API: create, read, update, delete', () => {
  const api = useTestApi('issues');
  let readKey: string;

  beforeAll(async () => {
    readKey = api.createKey('reader', ['read']);
  });

  const createIssue = (overrides: Record<string, unknown> = {}) => api.createIssue(overrides);

  describe('POST /v1/issues', () => {
    it('creates an open issue with defaults, de-duplicated tags and an audit entry named for the key', async () => {
      const { status, body } = await api.call('POST', '/v1/issues', {
        body: { title: 'Checkout fails', severity: 'critical', tags: ['db', 'db', 'prod'], category: 'databases' },
      });
      expect(status).toBe(201);
      expect(body).toMatchObject({
        title: 'Checkout fails',
        severity: 'critical',
        status: 'open',
        source: 'api',
        tags: ['db', 'prod'],
        resolved_at: null,
      });
      expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      const entry = api.db.prepare(`SELECT * FROM audit_log WHERE entity_id = ?`).get(body.id) as Record<string, string>;
      expect(entry).toMatchObject({ action: 'create_issue', entity_type: 'issue', user_id: 'bootstrap' });
    });

    it('stamps resolved_at when an issue is created resolved', async () => {
      const issue = await createIssue({ status: 'resolved' });
      expect(issue.resolved_at).toBe(issue.created_at);
    });

    it.each([
      ['a missing title', { severity: 'high' }],
      ['an empty title', { title: '', severity: 'high' }],
      ['a blank title', { title: '   ', severity: 'high' }],
      ['a 501-character title', { title: 'x'.repeat(501), severity: 'high' }],
      ['an unknown severity', { title: 't', severity: 'P1' }],
      ['an unknown status', { title: 't', severity: 'low', status: 'triaging' }],
      ['51 distinct tags', { title: 't', severity: 'low', tags: Array.from({ length: 51 }, (_, n) => `t${n}`) }],
      ['a 65-character tag', { title: 't', severity: 'low', tags: ['x'.repeat(65)] }],
      ['a tag that is not a string', { title: 't', severity: 'low', tags: [1] }],
      ['tags that are not an array', { title: 't', severity: 'low', tags: 'db' }],
      ['a description over 50,000 characters', { title: 't', severity: 'low', description: 'x'.repeat(50_001) }],
      ['an unknown field', { title: 't', severity: 'low', priority: 1 }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      expect(failure(await api.call('POST', '/v1/issues', { body }))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('accepts 60 tags that are 50 once de-duplicated, and a 500-character title', async () => {
      const tags = [...Array.from({ length: 50 }, (_, n) => `t${n}`), ...Array.from({ length: 10 }, (_, n) => `t${n}`)];
      const issue = await createIssue({ title: 'x'.repeat(500), tags });
      expect(issue.tags).toHaveLength(50);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      expect(failure(await api.call('POST', '/v1/issues', { rawBody: '{"title": ' }))).toEqual([400, 'INVALID_JSON']);
    });

    it('refuses a read-only key with 403 FORBIDDEN', async () => {
      expect(failure(await api.call('POST', '/v1/issues', { key: readKey, body: factory.issue() }))).toEqual([403, 'FORBIDDEN']);
    });

    it('answers any JSON body with 201 or 400, never anything else (property)', async () => {
      const field = fc.oneof(
        fc.string(),
        fc.integer(),
        fc.constant(null),
        fc.array(fc.string({ maxLength: 70 }), { maxLength: 60 }),
        fc.boolean(),
        fc.object(),
      );
      const body = fc.record(
        {
          title: fc.oneof(fc.string({ maxLength: 600 }), field),
          severity: fc.oneof(fc.constantFrom('critical', 'high', 'medium', 'low'), field),
          status: field,
          tags: field,
          description: field,
          category: field,
          extra: field,
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(body, async (candidate) => {
          const { status, body: answer } = await api.call('POST', '/v1/issues', { body: candidate });
          expect([201, 400]).toContain(status);
          if (status === 201) {
            expect(answer.title.length).toBeGreaterThan(0);
            expect(new Set(answer.tags).size).toBe(answer.tags.length);
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  describe('GET /v1/issues/:id', () => {
    it('returns the nested IssueDetail with every kind of child, steps in step_order', async () => {
      const issue = await createIssue();
      await api.call('POST', `/v1/issues/${issue.id}/resolution-steps`, { body: factory.step({ step_order: 2 }) });
      await api.call('POST', `/v1/issues/${issue.id}/resolution-steps`, { body: factory.step({ step_order: 1 }) });
      await api.call('POST', `/v1/issues/${issue.id}/conversations`, { body: { provider: 'openai', model: 'gpt-4o', title: 'triage' } });
      factory.logFile(api.db, api.dataDir, issue.id);
      factory.imageAttachment(api.db, api.dataDir, issue.id);
      const { status, body } = await api.call('GET', `/v1/issues/${issue.id}`, { key: readKey });
      expect(status).toBe(200);
      expect(body.id).toBe(issue.id);
      expect(body.resolution_steps.map((s: { step_order: number }) => s.step_order)).toEqual([1, 2]);
      expect(body.conversations).toHaveLength(1);
      expect(body.log_files[0]).toMatchObject({ file_name: 'app.log', redacted: true });
      expect(body.log_files[0].file_path).toBeUndefined();
      expect(body.image_attachments[0]).toMatchObject({ file_name: 'screen.png', is_paste: false, pii_warning_acknowledged: true });
    });

    it('answers an unknown id with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('GET', '/v1/issues/01900000-0000-7000-8000-000000000000'))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });

    it("answers what the database holds after every commit: another process's, the API's own, a deletion", async () => {
      const issue = await createIssue({ title: 'first title' });
      const read = async () => (await api.call('GET', `/v1/issues/${issue.id}`)).body;
      expect((await read()).title).toBe('first title');
      expect((await read()).title).toBe('first title');
      // The worker and the CLI commit through their own connections.
      const other = openDatabase(databaseOptions(api.config));
      try {
        other.prepare('UPDATE issues SET title = ? WHERE id = ?').run('changed elsewhere', issue.id);
        expect((await read()).title).toBe('changed elsewhere');
      } finally {
        other.close();
      }
      factory.logFile(api.db, api.dataDir, issue.id);
      expect((await read()).log_files).toHaveLength(1);
      await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { title: 'patched' } });
      expect((await read()).title).toBe('patched');
      await api.call('DELETE', `/v1/issues/${issue.id}`);
      expect(failure(await api.call('GET', `/v1/issues/${issue.id}`))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });
  });

  describe('PATCH /v1/issues/:id', () => {
    it('changes only the fields given, clears a field set to null and records the field names', async () => {
      const issue = await createIssue({ category: 'network', assigned_to: 'sam' });
      const { status, body } = await api.call('PATCH', `/v1/issues/${issue.id}`, {
        body: { title: 'Renamed', category: null, tags: ['x', 'x'] },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ title: 'Renamed', category: null, assigned_to: 'sam', severity: issue.severity, tags: ['x'] });
      const entry = api.db.prepare(`SELECT details FROM audit_log WHERE entity_id = ? AND action = 'update_issue'`).get(issue.id) as {
        details: string;
      };
      expect(JSON.parse(entry.details)).toEqual({ fields: ['title', 'category', 'tags'], pii_types_found: [] });
    });

    it('keeps PII in issue fields as written, and audits its types (never the values): the exits gate it', async () => {
      const issue = await createIssue({
        description: 'Customer SSN 123-45-6789',
        assigned_to: 'oncall@example.org',
        tags: ['jane&#64;example.com'],
      });
      expect(issue).toMatchObject({
        description: 'Customer SSN 123-45-6789',
        assigned_to: 'oncall@example.org',
        tags: ['jane&#64;example.com'],
      });
      await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { title: 'Refund for 4111 1111 1111 1111' } });
      const details = (action: string) =>
        (api.db.prepare(`SELECT details FROM audit_log WHERE entity_id = ? AND action = ?`).get(issue.id, action) as { details: string })
          .details;
      expect(JSON.parse(details('create_issue'))).toMatchObject({ pii_types_found: ['SSN', 'Email'] });
      expect(JSON.parse(details('update_issue'))).toMatchObject({ pii_types_found: ['SSN', 'CreditCard', 'Email'] });
      for (const value of ['123-45-6789', 'oncall@example.org', 'jane', '4111'])
        expect(details('create_issue') + details('update_issue')).not.toContain(value);
    });

    it('sets resolved_at when an issue is resolved, keeps it when closed, clears it when reopened', async () => {
      const issue = await createIssue();
      const resolved = (await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { status: 'resolved' } })).body;
      expect(resolved.resolved_at).toEqual(expect.any(String));
      const closed = (await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { status: 'closed' } })).body;
      expect(closed.resolved_at).toBe(resolved.resolved_at);
      const reopened = (await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { status: 'investigating' } })).body;
      expect(reopened.resolved_at).toBeNull();
    });

    it('keeps the search index in step with a new title', async () => {
      const issue = await createIssue({ title: 'Kafkaesque partition lag' });
      await api.call('PATCH', `/v1/issues/${issue.id}`, { body: { title: 'Zookeeper session expiry' } });
      expect((await api.call('GET', '/v1/issues?q=Kafkaesque')).body.items).toEqual([]);
      expect((await api.call('GET', '/v1/issues?q=zookeeper')).body.items.map((i: { id: string }) => i.id)).toEqual([issue.id]);
    });

    it.each([
      ['an empty body', {}],
      ['a null title', { title: null }],
      ['a null severity', { severity: null }],
      ['an unknown field', { domain: 'linux' }],
      ['an unknown status', { status: 'triaging' }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      const issue = await createIssue();
      expect(failure(await api.call('PATCH', `/v1/issues/${issue.id}`, { body }))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      const issue = await createIssue();
      expect(failure(await api.call('PATCH', `/v1/issues/${issue.id}`, { rawBody: '[' }))).toEqual([400, 'INVALID_JSON']);
    });

    it('answers an unknown id with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('PATCH', '/v1/issues/nope', { body: { title: 'x' } }))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });
  });

  describe('DELETE /v1/issues/:id', () => {
    it('removes an issue with children of every kind: nothing remains in the database or on disk', async () => {
      const issue = await createIssue();
      const step = (await api.call('POST', `/v1/issues/${issue.id}/resolution-steps`, { body: factory.step() })).body;
      const conversation = (await api.call('POST', `/v1/issues/${issue.id}/conversations`, { body: { title: 't' } })).body;
      await api.call('POST', `/v1/conversations/${conversation.id}/messages`, { body: { role: 'user', content: 'hello' } });
      const log = factory.logFile(api.db, api.dataDir, issue.id);
      const image = factory.imageAttachment(api.db, api.dataDir, issue.id);
      factory.document(api.db, issue.id);

      const { status, body } = await api.call('DELETE', `/v1/issues/${issue.id}`);
      expect([status, body]).toEqual([204, null]);

      const remaining = {
        issues: count(api.db, 'SELECT count(*) AS n FROM issues WHERE id = ?', issue.id),
        log_files: count(api.db, 'SELECT count(*) AS n FROM log_files WHERE issue_id = ?', issue.id),
        pii_spans: count(api.db, 'SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', log.id),
        image_attachments: count(api.db, 'SELECT count(*) AS n FROM image_attachments WHERE issue_id = ?', issue.id),
        resolution_steps: count(api.db, 'SELECT count(*) AS n FROM resolution_steps WHERE id = ?', step.id),
        conversations: count(api.db, 'SELECT count(*) AS n FROM ai_conversations WHERE issue_id = ?', issue.id),
        messages: count(api.db, 'SELECT count(*) AS n FROM ai_messages WHERE conversation_id = ?', conversation.id),
        documents: count(api.db, 'SELECT count(*) AS n FROM documents WHERE issue_id = ?', issue.id),
        search_index: count(
          api.db,
          `SELECT count(*) AS n FROM issues_fts WHERE issues_fts MATCH ?`,
          `"${issue.title.split(' ')[0]}" AND id:"${issue.id}"`,
        ),
      };
      expect(remaining).toEqual({
        issues: 0,
        log_files: 0,
        pii_spans: 0,
        image_attachments: 0,
        resolution_steps: 0,
        conversations: 0,
        messages: 0,
        documents: 0,
        search_index: 0,
      });
      expect([existsSync(log.path), existsSync(image.path)]).toEqual([false, false]);
      const entry = api.db.prepare(`SELECT details FROM audit_log WHERE entity_id = ? AND action = 'delete_issue'`).get(issue.id) as {
        details: string;
      };
      expect(JSON.parse(entry.details)).toEqual({
        children: { log_files: 1, image_attachments: 1, resolution_steps: 1, conversations: 1, documents: 1 },
        stored_files: 2,
      });
    });

    it('never deletes a file outside the blobs directory that a row points at', async () => {
      const issue = await createIssue();
      const log = factory.logFile(api.db, api.dataDir, issue.id);
      api.db.prepare('UPDATE log_files SET file_path = ? WHERE id = ?').run(`${api.dataDir}/blobs/../tftsr.db`, log.id);
      expect((await api.call('DELETE', `/v1/issues/${issue.id}`)).status).toBe(204);
      expect(existsSync(`${api.dataDir}/tftsr.db`)).toBe(true);
    });

    it('answers an unknown id with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('DELETE', '/v1/issues/01900000-0000-7000-8000-000000000000'))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });
  });
});

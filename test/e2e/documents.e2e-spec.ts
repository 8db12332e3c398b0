import { failure, useTestApi } from '../support/api-harness';

describe('documents API', () => {
  const api = useTestApi('documents', { TFTSR_TEST_INTEGRATION_ORIGINS: 'http://127.0.0.1:9' });
  let readKey: string;

  beforeAll(async () => {
    // A fake origin nothing listens on: this suite runs no worker, so publications stay queued.
    readKey = api.createKey('reader', ['read']);
  });

  async function issueWithWhys(): Promise<string> {
    const issue = await api.createIssue({
      title: 'Checkout latency | after cache rollout',
      description: 'p99 went from 80 ms to 4 s.',
      severity: 'high',
      category: 'performance',
    });
    for (const [order, q, a] of [
      [1, 'Why was checkout slow?', 'Every request missed the cache.'],
      [2, 'Why did every request miss?', 'The new eviction policy dropped hot keys.'],
    ] as const) {
      expect(
        (await api.call('POST', `/v1/issues/${issue.id}/resolution-steps`, { body: { step_order: order, why_question: q, answer: a } }))
          .status,
      ).toBe(201);
    }
    return issue.id;
  }

  async function download(path: string, key: string) {
    const response = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  async function generate(issueId: string, docType = 'rca') {
    const result = await api.call('POST', `/v1/issues/${issueId}/documents`, { body: { doc_type: docType } });
    expect(result.status).toBe(201);
    return result.body;
  }

  describe('POST /v1/issues/:id/documents', () => {
    it('generates an RCA with the desktop app’s sections, filled from the issue, its whys and its timeline, and stores it', async () => {
      const issueId = await issueWithWhys();
      const doc = await generate(issueId);
      expect(doc).toMatchObject({
        issue_id: issueId,
        doc_type: 'rca',
        title: 'RCA: Checkout latency | after cache rollout',
        publications: [],
      });
      expect(Date.parse(doc.created_at)).toBeGreaterThan(1.7e12);
      const sections = [...(doc.content_md as string).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(sections).toEqual([
        'Issue Summary',
        'Description',
        'Incident Timeline',
        'Incident Metrics',
        '5 Whys Analysis',
        'Root Cause',
        'Log Files Analyzed',
        'Corrective Actions',
        'Lessons Learned',
      ]);
      expect(doc.content_md).toContain('| Severity | high |');
      expect(doc.content_md).toContain('| Issue ID | ' + issueId + ' |');
      expect(doc.content_md).toContain('# Root Cause Analysis: Checkout latency | after cache rollout');
      expect(doc.content_md).toContain('### Why #2: Why did every request miss?');
      expect(doc.content_md).toContain('> The new eviction policy dropped hot keys.');
      expect(doc.content_md).toMatch(/\| Issue Created \| severity high \|/);
      expect(doc.content_md).toMatch(/\| Why Level Added \| why #2 \|/);

      const stored = api.db.prepare('SELECT * FROM documents WHERE id = ?').get(doc.id) as Record<string, unknown>;
      // The seed keeps INTEGER milliseconds; the API answers ISO 8601.
      expect(stored).toMatchObject({
        issue_id: issueId,
        doc_type: 'rca',
        content_md: doc.content_md,
        created_at: Date.parse(doc.created_at),
      });
      const audit = api.db.prepare(`SELECT details FROM audit_log WHERE action = 'generate_rca' AND entity_id = ?`).get(doc.id) as {
        details: string;
      };
      expect(JSON.parse(audit.details)).toMatchObject({ issue_id: issueId, doc_type: 'rca' });
    });

    it('generates a blameless post-mortem with its own sections', async () => {
      const doc = await generate(await issueWithWhys(), 'postmortem');
      expect(doc.title).toBe('Post-Mortem: Checkout latency | after cache rollout');
      const sections = [...(doc.content_md as string).matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(sections).toEqual([
        'Metadata',
        'Executive Summary',
        'Impact',
        'Timeline',
        'Root Cause Analysis',
        'Contributing Factors',
        'What Went Well',
        'What Could Be Improved',
        'Action Items',
      ]);
      expect(doc.content_md).toContain('**Root Cause:** The new eviction policy dropped hot keys.');
      expect(
        api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'generate_postmortem' AND entity_id = ?`).get(doc.id),
      ).toEqual({ n: 1 });
    });

    it.each([
      [{ doc_type: 'summary' }, 400, 'VALIDATION_FAILED'],
      [{}, 400, 'VALIDATION_FAILED'],
    ])('refuses %j with %i %s', async (body, status, code) => {
      expect(failure(await api.call('POST', `/v1/issues/${await issueWithWhys()}/documents`, { body }))).toEqual([status, code]);
    });

    it('answers 404 ISSUE_NOT_FOUND for an unknown issue, and writes nothing', async () => {
      const before = api.db.prepare('SELECT count(*) AS n FROM documents').get();
      expect(failure(await api.call('POST', '/v1/issues/nope/documents', { body: { doc_type: 'rca' } }))).toEqual([404, 'ISSUE_NOT_FOUND']);
      expect(api.db.prepare('SELECT count(*) AS n FROM documents').get()).toEqual(before);
    });
  });

  describe('reading, editing, deleting', () => {
    it('lists an issue’s documents newest first, without content', async () => {
      const issueId = await issueWithWhys();
      const first = await generate(issueId);
      const second = await generate(issueId, 'postmortem');
      const list = await api.call('GET', `/v1/issues/${issueId}/documents`, { key: readKey });
      expect(list.status).toBe(200);
      expect(list.body.items.map((d: { id: string }) => d.id)).toEqual([second.id, first.id]);
      expect(list.body.items[0].content_md).toBeUndefined();
    });

    it('PATCH changes title and content, keeps them as written, and audits which fields changed', async () => {
      const doc = await generate(await issueWithWhys());
      const result = await api.call('PATCH', `/v1/documents/${doc.id}`, {
        body: { title: 'RCA: cache eviction', content_md: '# Edited\n\nBy a reviewer.' },
      });
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ id: doc.id, title: 'RCA: cache eviction', content_md: '# Edited\n\nBy a reviewer.' });
      expect(Date.parse(result.body.updated_at)).toBeGreaterThan(Date.parse(doc.updated_at));
      expect((await api.call('GET', `/v1/documents/${doc.id}`, { key: readKey })).body.content_md).toBe('# Edited\n\nBy a reviewer.');
      const audit = api.db.prepare(`SELECT details FROM audit_log WHERE action = 'update_document' AND entity_id = ?`).get(doc.id) as {
        details: string;
      };
      expect(JSON.parse(audit.details).fields).toEqual(['title', 'content_md']);
      expect(audit.details).not.toContain('reviewer');
    });

    it.each([
      [{}, 'VALIDATION_FAILED'],
      [{ title: '' }, 'VALIDATION_FAILED'],
      [{ title: 'two\nlines' }, 'VALIDATION_FAILED'],
      [{ content_md: 42 }, 'VALIDATION_FAILED'],
    ])('PATCH refuses %j', async (body, code) => {
      const doc = await generate(await issueWithWhys());
      expect(failure(await api.call('PATCH', `/v1/documents/${doc.id}`, { body }))).toEqual([400, code]);
    });

    it('a read-only key can read but not change documents', async () => {
      const doc = await generate(await issueWithWhys());
      expect((await api.call('GET', `/v1/documents/${doc.id}`, { key: readKey })).status).toBe(200);
      expect(failure(await api.call('PATCH', `/v1/documents/${doc.id}`, { key: readKey, body: { title: 'x' } }))).toEqual([
        403,
        'FORBIDDEN',
      ]);
      expect(failure(await api.call('DELETE', `/v1/documents/${doc.id}`, { key: readKey }))).toEqual([403, 'FORBIDDEN']);
    });

    it('DELETE removes the document and audits it; then it is a 404', async () => {
      const doc = await generate(await issueWithWhys());
      expect((await api.call('DELETE', `/v1/documents/${doc.id}`)).status).toBe(204);
      expect(failure(await api.call('GET', `/v1/documents/${doc.id}`))).toEqual([404, 'DOCUMENT_NOT_FOUND']);
      expect(failure(await api.call('DELETE', `/v1/documents/${doc.id}`))).toEqual([404, 'DOCUMENT_NOT_FOUND']);
      expect(api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'delete_document' AND entity_id = ?`).get(doc.id)).toEqual({
        n: 1,
      });
    });
  });

  describe('GET /v1/documents/:id/export', () => {
    it('downloads the Markdown as written, as an attachment', async () => {
      const doc = await generate(await issueWithWhys());
      const result = await download(`/v1/documents/${doc.id}/export?format=md`, readKey);
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/markdown/);
      expect(result.headers.get('content-disposition')).toMatch(/^attachment; filename="RCA__Checkout_latency___after_cache_rollout\.md"/);
      expect(result.headers.get('x-content-type-options')).toBe('nosniff');
      expect(result.body).toBe(doc.content_md);
    });

    it('renders HTML from the Markdown with a maintained renderer, sanitised', async () => {
      const doc = await generate(await issueWithWhys());
      await api.call('PATCH', `/v1/documents/${doc.id}`, {
        body: { content_md: '# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n| a | b |\n|---|---|\n| 1 | 2 |' },
      });
      const result = await download(`/v1/documents/${doc.id}/export?format=html`, readKey);
      expect(result.status).toBe(200);
      expect(result.headers.get('content-type')).toMatch(/^text\/html/);
      expect(result.body).toContain('<h1>Title</h1>');
      expect(result.body).toMatch(/<td>1<\/td>/);
      expect(result.body).not.toMatch(/<script>alert|href="javascript/);
      expect(api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'export_document' AND entity_id = ?`).get(doc.id)).toEqual({
        n: 1,
      });
    });

    it('refuses an unknown format with 400', async () => {
      const doc = await generate(await issueWithWhys());
      expect(failure(await api.call('GET', `/v1/documents/${doc.id}/export?format=pdf`))).toEqual([400, 'VALIDATION_FAILED']);
    });
  });

  describe('the exit gate on exports', () => {
    // The document of issue 12: e-mail, card, AWS key and password spelled with HTML entities, which renderers decode.
    const ENCODED = [
      '# Notes',
      '',
      'Contact jane&#64;example&#46;com',
      '',
      'Card 4111&#32;1111&#32;1111&#32;1111',
      '',
      'Key &#65;KIAIOSFODNN7EXAMPLE',
      '',
      'password&#61;Hunter2&#33;x',
    ].join('\n');
    const PLAIN = ['jane@example.com', '4111 1111 1111 1111', 'AKIAIOSFODNN7EXAMPLE', 'Hunter2'];
    const ISSUE_PII = ['123-45-6789', 'jane.roe@example.com', 'oncall@example.org'];

    async function issueWithPii(): Promise<string> {
      const issue = await api.createIssue({
        title: 'Refund failed for jane.roe@example.com',
        description: 'Customer SSN 123-45-6789 was logged in clear.',
        assigned_to: 'oncall@example.org',
        tags: ['billing', 'oncall@example.org'],
        severity: 'high',
      });
      return issue.id;
    }

    async function withGateMode<T>(mode: 'block' | 'redact', run: () => Promise<T>): Promise<T> {
      expect((await api.call('PUT', '/v1/settings/publishing.pii_gate', { body: { value: mode } })).status).toBe(200);
      try {
        return await run();
      } finally {
        await api.call('PUT', '/v1/settings/publishing.pii_gate', { body: { value: 'block' } });
      }
    }

    it.each(['md', 'html'])(
      'refuses the entity-encoded document as %s with 422 PII_GATE_BLOCKED, masked findings and nothing sent',
      async (format) => {
        const doc = await generate(await issueWithWhys());
        expect((await api.call('PATCH', `/v1/documents/${doc.id}`, { body: { content_md: ENCODED } })).status).toBe(200);
        const result = await api.call('GET', `/v1/documents/${doc.id}/export?format=${format}`);
        expect(failure(result)).toEqual([422, 'PII_GATE_BLOCKED']);
        expect(result.body.error.details.types).toEqual(expect.arrayContaining(['AwsAccessKey', 'Password', 'CreditCard', 'Email']));
        for (const value of PLAIN) expect(JSON.stringify(result.body)).not.toContain(value);
        expect(
          api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'export_document' AND entity_id = ?`).get(doc.id),
        ).toEqual({ n: 0 });
      },
    );

    it.each(['md', 'html'])('redacts the entity-encoded document as %s when publishing.pii_gate is redact', async (format) => {
      const doc = await generate(await issueWithWhys());
      expect((await api.call('PATCH', `/v1/documents/${doc.id}`, { body: { content_md: ENCODED } })).status).toBe(200);
      const result = await withGateMode('redact', () => download(`/v1/documents/${doc.id}/export?format=${format}`, readKey));
      expect(result.status).toBe(200);
      for (const value of [...PLAIN, 'jane&#64;example', '&#65;KIA']) expect(result.body).not.toContain(value);
      expect(result.body).toContain('[Email]');
      const audit = api.db.prepare(`SELECT details FROM audit_log WHERE action = 'export_document' AND entity_id = ?`).get(doc.id) as {
        details: string;
      };
      expect(JSON.parse(audit.details)).toMatchObject({ redacted_by_gate: true });
    });

    it('keeps issue fields as written but never exports their SSN and e-mails: refused, or redacted', async () => {
      const issueId = await issueWithPii();
      expect((await api.call('GET', `/v1/issues/${issueId}`)).body).toMatchObject({
        assigned_to: 'oncall@example.org',
        description: 'Customer SSN 123-45-6789 was logged in clear.',
      });
      const doc = await generate(issueId);
      for (const format of ['md', 'html']) {
        const refused = await api.call('GET', `/v1/documents/${doc.id}/export?format=${format}`);
        expect(failure(refused)).toEqual([422, 'PII_GATE_BLOCKED']);
        expect(refused.body.error.details.types).toEqual(expect.arrayContaining(['SSN', 'Email']));
        for (const value of ISSUE_PII) expect(JSON.stringify(refused.body)).not.toContain(value);
        const redacted = await withGateMode('redact', () => download(`/v1/documents/${doc.id}/export?format=${format}`, readKey));
        expect(redacted.status).toBe(200);
        for (const value of ISSUE_PII) {
          expect(redacted.body).not.toContain(value);
          expect(redacted.headers.get('content-disposition')).not.toContain(value.replace(/[^A-Za-z0-9_-]/g, '_'));
        }
      }
    });
  });

  describe('POST /v1/documents/:id/publish preconditions', () => {
    it('answers 409 INTEGRATION_NOT_CONFIGURED when the service has no config, and queues nothing', async () => {
      const doc = await generate(await issueWithWhys());
      const outbox = api.db.prepare(`SELECT count(*) AS n FROM outbox WHERE job_name = 'publish'`).get();
      expect(failure(await api.call('POST', `/v1/documents/${doc.id}/publish`, { body: { service: 'confluence' } }))).toEqual([
        409,
        'INTEGRATION_NOT_CONFIGURED',
      ]);
      expect(api.db.prepare(`SELECT count(*) AS n FROM outbox WHERE job_name = 'publish'`).get()).toEqual(outbox);
      expect(api.db.prepare('SELECT count(*) AS n FROM publications WHERE document_id = ?').get(doc.id)).toEqual({ n: 0 });
    });

    it.each([
      [{ service: 'jira' }],
      [{ service: 'confluence', parent_page_id: '../1' }],
      [{ service: 'servicenow', table: 'kb_knowledge' }],
      [{ service: 'azuredevops', work_item_type: 'Bug; DROP' }],
    ])('refuses %j with 400', async (body) => {
      const doc = await generate(await issueWithWhys());
      expect(failure(await api.call('POST', `/v1/documents/${doc.id}/publish`, { body }))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('queues a publish durably with ids only, and a second request while it is queued queues nothing more', async () => {
      expect(
        (await api.call('PUT', '/v1/integrations/confluence/config', { body: { base_url: 'http://127.0.0.1:9', space_key: 'ENG' } }))
          .status,
      ).toBe(200);
      const doc = await generate(await issueWithWhys());
      expect(failure(await api.call('POST', `/v1/documents/${doc.id}/publish`, { body: { service: 'confluence' } }))).toEqual([
        409,
        'CREDENTIAL_NOT_SET',
      ]);
      await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: 'token-for-the-queue-test' } });

      const first = await api.call('POST', `/v1/documents/${doc.id}/publish`, { body: { service: 'confluence', parent_page_id: '123' } });
      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({
        queued: true,
        job_id: expect.stringMatching(/^publish-/),
        publication: { document_id: doc.id, service: 'confluence', state: 'queued', options: { parent_page_id: '123' } },
      });
      const outbox = api.db
        .prepare(`SELECT payload FROM outbox WHERE job_name = 'publish' AND json_extract(payload, '$.publication_id') = ?`)
        .get(first.body.publication.id) as { payload: string };
      // The job id names the outbox row (after the restore generation, issue 22).
      expect(first.body.job_id).toContain(JSON.parse(outbox.payload).outbox_id);
      expect(Object.keys(JSON.parse(outbox.payload)).sort()).toEqual(expect.arrayContaining(['outbox_id', 'publication_id']));
      expect(outbox.payload).not.toMatch(/token-for-the-queue-test|Root Cause/);

      const second = await api.call('POST', `/v1/documents/${doc.id}/publish`, { body: { service: 'confluence' } });
      expect(second.status).toBe(202);
      expect(second.body).toMatchObject({ queued: false, job_id: null, publication: { id: first.body.publication.id } });
      expect(
        api.db
          .prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'request_publish' AND entity_id = ?`)
          .get(first.body.publication.id),
      ).toEqual({ n: 1 });
      const listed = await api.call('GET', `/v1/documents/${doc.id}/publications`, { key: readKey });
      expect(listed.body.items).toEqual([expect.objectContaining({ id: first.body.publication.id, state: 'queued' })]);
    });

    it('answers 404 for an unknown document', async () => {
      expect(failure(await api.call('POST', '/v1/documents/nope/publish', { body: { service: 'confluence' } }))).toEqual([
        404,
        'DOCUMENT_NOT_FOUND',
      ]);
      expect(failure(await api.call('GET', '/v1/documents/nope/publications'))).toEqual([404, 'DOCUMENT_NOT_FOUND']);
    });
  });
});

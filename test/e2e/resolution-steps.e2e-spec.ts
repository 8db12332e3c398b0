import { factory } from '../support/factory';
import { failure, useTestApi } from '../support/api-harness';

const PII = 'alice@example.com logged in from 10.1.2.3';

describe('5-Whys API (resolution steps)', () => {
  const api = useTestApi('steps');
  let readKey: string;

  beforeAll(async () => {
    readKey = api.createKey('reader', ['read']);
  });

  async function newIssue(): Promise<string> {
    return (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
  }
  async function addStep(issueId: string, overrides: Record<string, unknown> = {}) {
    const result = await api.call('POST', `/v1/issues/${issueId}/resolution-steps`, { body: factory.step(overrides) });
    expect(result.status).toBe(201);
    return result.body;
  }
  const stepsOf = async (issueId: string) =>
    (await api.call('GET', `/v1/issues/${issueId}`)).body.resolution_steps as { id: string; step_order: number }[];

  describe('POST /v1/issues/:id/resolution-steps', () => {
    it('stores the step with its PII redacted, and audits the types found, never the text', async () => {
      const issueId = await newIssue();
      const step = await addStep(issueId, {
        why_question: `Why? ${PII}`,
        answer: 'token=ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked',
        evidence: null,
      });
      expect(step).toMatchObject({ issue_id: issueId, step_order: 1, why_question: 'Why? [Email] logged in from [IPv4]', evidence: null });
      expect(step.answer).not.toContain('ghp_');
      const row = api.db.prepare('SELECT why_question, answer FROM resolution_steps WHERE id = ?').get(step.id) as Record<string, string>;
      expect(JSON.stringify(row)).not.toMatch(/alice|10\.1\.2\.3|ghp_/);
      const entry = api.db.prepare(`SELECT details FROM audit_log WHERE entity_id = ? AND action = 'add_five_why'`).get(step.id) as {
        details: string;
      };
      expect(JSON.parse(entry.details)).toMatchObject({
        issue_id: issueId,
        step_order: 1,
        pii_types_redacted: expect.arrayContaining(['Email', 'IPv4']),
      });
      expect(entry.details).not.toMatch(/alice|10\.1\.2\.3/);
    });

    it('stores redacted only the types the settings enable, and never a value on the allow-list', async () => {
      const enabled = (await api.call('GET', '/v1/settings/pii.enabled_types')).body.value;
      await api.call('PUT', '/v1/settings/pii.enabled_types', { body: { value: ['Email'] } });
      await api.call('PUT', '/v1/settings/pii.allow_list', { body: { value: ['support@example.com'] } });
      try {
        const step = await addStep(await newIssue(), { why_question: `Why did support@example.com and ${PII}?` });
        expect(step.why_question).toBe('Why did support@example.com and [Email] logged in from 10.1.2.3?');
      } finally {
        await api.call('PUT', '/v1/settings/pii.enabled_types', { body: { value: enabled } });
        await api.call('PUT', '/v1/settings/pii.allow_list', { body: { value: [] } });
      }
    });

    it('answers a step order that is taken with 409 STEP_ORDER_TAKEN', async () => {
      const issueId = await newIssue();
      await addStep(issueId, { step_order: 3 });
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/resolution-steps`, { body: factory.step({ step_order: 3 }) }))).toEqual([
        409,
        'STEP_ORDER_TAKEN',
      ]);
    });

    it.each([
      ['step_order 0', { step_order: 0 }],
      ['step_order 6', { step_order: 6 }],
      ['a fractional step_order', { step_order: 1.5 }],
      ['a blank why_question', { why_question: ' ' }],
      ['an unknown field', { owner: 'sam' }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, overrides) => {
      expect(failure(await api.call('POST', `/v1/issues/${await newIssue()}/resolution-steps`, { body: factory.step(overrides) }))).toEqual(
        [400, 'VALIDATION_FAILED'],
      );
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      expect(failure(await api.call('POST', `/v1/issues/${await newIssue()}/resolution-steps`, { rawBody: '{' }))).toEqual([
        400,
        'INVALID_JSON',
      ]);
    });

    it('answers an unknown issue with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('POST', '/v1/issues/missing/resolution-steps', { body: factory.step() }))).toEqual([
        404,
        'ISSUE_NOT_FOUND',
      ]);
    });

    it('refuses a read-only key with 403 FORBIDDEN', async () => {
      expect(
        failure(await api.call('POST', `/v1/issues/${await newIssue()}/resolution-steps`, { key: readKey, body: factory.step() })),
      ).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('PATCH /v1/resolution-steps/:id', () => {
    it('changes the given fields, redacts new text, clears a null field and audits the field names', async () => {
      const issueId = await newIssue();
      const step = await addStep(issueId, { evidence: 'graph' });
      const { status, body } = await api.call('PATCH', `/v1/resolution-steps/${step.id}`, {
        body: { answer: `It was ${PII}`, evidence: null, step_order: 4 },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        id: step.id,
        step_order: 4,
        why_question: step.why_question,
        answer: 'It was [Email] logged in from [IPv4]',
        evidence: null,
      });
      const entry = api.db.prepare(`SELECT details FROM audit_log WHERE entity_id = ? AND action = 'update_five_why'`).get(step.id) as {
        details: string;
      };
      expect(JSON.parse(entry.details)).toMatchObject({ fields: ['step_order', 'answer', 'evidence'] });
    });

    it('answers a move onto a taken order with 409 STEP_ORDER_TAKEN', async () => {
      const issueId = await newIssue();
      await addStep(issueId, { step_order: 1 });
      const second = await addStep(issueId, { step_order: 2 });
      expect(failure(await api.call('PATCH', `/v1/resolution-steps/${second.id}`, { body: { step_order: 1 } }))).toEqual([
        409,
        'STEP_ORDER_TAKEN',
      ]);
    });

    it.each([
      ['an empty body', {}],
      ['a null why_question', { why_question: null }],
      ['step_order 9', { step_order: 9 }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      const step = await addStep(await newIssue());
      expect(failure(await api.call('PATCH', `/v1/resolution-steps/${step.id}`, { body }))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      const step = await addStep(await newIssue());
      expect(failure(await api.call('PATCH', `/v1/resolution-steps/${step.id}`, { rawBody: 'nope' }))).toEqual([400, 'INVALID_JSON']);
    });

    it('answers an unknown step with 404 RESOLUTION_STEP_NOT_FOUND', async () => {
      expect(failure(await api.call('PATCH', '/v1/resolution-steps/missing', { body: { answer: 'x' } }))).toEqual([
        404,
        'RESOLUTION_STEP_NOT_FOUND',
      ]);
    });
  });

  describe('DELETE /v1/resolution-steps/:id', () => {
    it('deletes the step and leaves the others in their order', async () => {
      const issueId = await newIssue();
      const first = await addStep(issueId, { step_order: 1 });
      const second = await addStep(issueId, { step_order: 2 });
      expect((await api.call('DELETE', `/v1/resolution-steps/${first.id}`)).status).toBe(204);
      expect(await stepsOf(issueId)).toEqual([expect.objectContaining({ id: second.id, step_order: 2 })]);
    });

    it('answers an unknown step with 404 RESOLUTION_STEP_NOT_FOUND', async () => {
      expect(failure(await api.call('DELETE', '/v1/resolution-steps/missing'))).toEqual([404, 'RESOLUTION_STEP_NOT_FOUND']);
    });
  });

  describe('PUT /v1/issues/:id/resolution-steps/order', () => {
    it('reorders every step in one request, numbering them 1..n, with one audit entry', async () => {
      const issueId = await newIssue();
      const a = await addStep(issueId, { step_order: 1 });
      const b = await addStep(issueId, { step_order: 2 });
      const c = await addStep(issueId, { step_order: 5 });
      const { status, body } = await api.call('PUT', `/v1/issues/${issueId}/resolution-steps/order`, {
        body: { step_ids: [c.id, a.id, b.id] },
      });
      expect(status).toBe(200);
      expect(body.items.map((s: { id: string; step_order: number }) => [s.id, s.step_order])).toEqual([
        [c.id, 1],
        [a.id, 2],
        [b.id, 3],
      ]);
      expect((await stepsOf(issueId)).map((s) => s.id)).toEqual([c.id, a.id, b.id]);
      const entries = api.db
        .prepare(`SELECT count(*) AS n FROM audit_log WHERE entity_id = ? AND action = 'reorder_five_whys'`)
        .get(issueId) as { n: number };
      expect(entries.n).toBe(1);
    });

    it('refuses a list that leaves out a step or names another issue’s step with 400 INVALID_STEP_ORDER, changing nothing', async () => {
      const issueId = await newIssue();
      const a = await addStep(issueId, { step_order: 1 });
      const b = await addStep(issueId, { step_order: 2 });
      const stranger = await addStep(await newIssue());
      const missing = await api.call('PUT', `/v1/issues/${issueId}/resolution-steps/order`, { body: { step_ids: [b.id] } });
      expect(failure(missing)).toEqual([400, 'INVALID_STEP_ORDER']);
      expect(missing.body.error.details).toEqual({ missing_step_ids: [a.id], unknown_step_ids: [] });
      const foreign = await api.call('PUT', `/v1/issues/${issueId}/resolution-steps/order`, {
        body: { step_ids: [b.id, a.id, stranger.id] },
      });
      expect(failure(foreign)).toEqual([400, 'INVALID_STEP_ORDER']);
      expect((await stepsOf(issueId)).map((s) => [s.id, s.step_order])).toEqual([
        [a.id, 1],
        [b.id, 2],
      ]);
    });

    it.each([
      ['duplicate ids', (id: string) => ({ step_ids: [id, id] })],
      ['an empty list', () => ({ step_ids: [] })],
      ['six ids', () => ({ step_ids: ['1', '2', '3', '4', '5', '6'] })],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      const issueId = await newIssue();
      const step = await addStep(issueId);
      expect(failure(await api.call('PUT', `/v1/issues/${issueId}/resolution-steps/order`, { body: body(step.id) }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      expect(failure(await api.call('PUT', `/v1/issues/${await newIssue()}/resolution-steps/order`, { rawBody: '{]' }))).toEqual([
        400,
        'INVALID_JSON',
      ]);
    });

    it('answers an unknown issue with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('PUT', '/v1/issues/missing/resolution-steps/order', { body: { step_ids: ['x'] } }))).toEqual([
        404,
        'ISSUE_NOT_FOUND',
      ]);
    });
  });
});

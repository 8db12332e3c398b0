import { DEFAULT_KNOWLEDGE_BASE, FakeServiceNow } from '@tftsr/test-support/fakes/fake-servicenow';
import {
  loopbackHttp,
  publishContent,
  publishFailure,
  publishTarget,
  publishWithRetries,
} from '@tftsr/test-support/fakes/publish-fixtures';
import type { IntegrationHttp } from '../integration-http';
import { markdownToText } from '../render';
import { ServiceNowPublisher } from './servicenow';
import type { PublishTarget } from './types';

const USER = 'tftsr.integration';
const PASSWORD = 'canary-servicenow-password-5d1e';

/** Enough for any answer on a loaded machine; only the hung-call test waits for a timeout, its own short one. */
const ANSWER_MS = 10_000;
const HUNG_MS = 250;

describe('ServiceNowPublisher', () => {
  let fake: FakeServiceNow;
  let http: IntegrationHttp;
  let target: PublishTarget;
  let sut: ServiceNowPublisher;

  beforeEach(async () => {
    fake = await FakeServiceNow.start({ username: USER, password: PASSWORD });
    http = loopbackHttp();
    target = publishTarget('servicenow', fake.baseUrl, { username: USER });
    sut = new ServiceNowPublisher(http, { username: USER, secret: PASSWORD }, { timeoutMs: ANSWER_MS });
  });
  afterEach(async () => {
    await http.close();
    await fake.close();
  });

  it('sends plain text to the incident description: no pipes, no entity text', async () => {
    const md = '# RCA\n\n| Field | Value |\n|---|---|\n| Owner | ops &copy; |\n';
    await sut.create(target, publishContent({ markdown: md, text: markdownToText(md) }));
    expect(fake.objects[0].fields.description).toBe('RCA\n\nField  Value\n-----  -----\nOwner  ops ©');
  });

  it('adds a document to an existing incident as work notes, and an RCA as close notes too; title and urgency stay', async () => {
    const incident = await sut.create(target, publishContent({ severity: 'critical', docType: null }));
    const rca = publishContent({ title: 'RCA: payments', text: 'Root cause: expired cert.', docType: 'rca' });
    const attached = await sut.attach(target, rca, incident);
    expect(attached.id).toBe(incident.id);
    const record = fake.objects[0];
    expect(fake.objects).toHaveLength(1);
    expect(record.fields).toMatchObject({
      short_description: 'RCA: checkout latency after the cache rollout',
      urgency: '1',
      close_notes: 'Root cause: expired cert.',
    });
    expect(record.journal).toEqual([{ field: 'work_notes', value: 'RCA published by TFTSR: RCA: payments\n\nRoot cause: expired cert.' }]);
    await sut.attach(target, { ...rca, docType: 'postmortem', text: 'Postmortem text' }, incident);
    expect(record.journal).toHaveLength(2);
    expect(record.fields.close_notes).toBe('Root cause: expired cert.');
    expect(fake.violations).toEqual([]);
  });

  it('opens an incident with correlation_id, finds it by correlation_id, and updates it', async () => {
    const content = publishContent({ severity: 'critical' });
    expect(await sut.find(target, content, null)).toBeNull();
    const created = await sut.create(target, content);
    const record = fake.objects[0];
    expect(created).toEqual({
      id: record.sys_id,
      displayId: 'INC0010001',
      url: `${fake.baseUrl}/nav_to.do?uri=incident.do?sys_id=${record.sys_id}`,
      table: 'incident',
    });
    expect(record.fields).toMatchObject({
      short_description: content.title,
      description: content.text,
      urgency: '1',
      impact: '1',
      priority: '1',
      correlation_id: content.publicationId,
      correlation_display: 'TFTSR',
    });

    const found = await sut.find(target, content, null);
    expect(found).toEqual(created);
    await sut.update(target, { ...content, title: 'RCA v2', text: 'second' }, found!);
    expect(fake.objects).toHaveLength(1);
    expect(record.fields).toMatchObject({ short_description: 'RCA v2', description: 'second', urgency: '1' });
    expect(fake.requests.map((r) => r.operation)).toEqual(['search', 'create', 'search', 'update']);
    expect(fake.requests[0].query).toEqual({
      sysparm_query: `correlation_id=${content.publicationId}`,
      sysparm_limit: '1',
      sysparm_fields: 'sys_id,number',
    });
    expect(fake.violations).toEqual([]);
  });

  it.each([
    ['critical', '1'],
    ['high', '2'],
    ['medium', '3'],
    ['low', '4'],
  ])('maps severity %s to urgency and impact that give priority %s', async (severity, priority) => {
    await sut.create(target, publishContent({ severity }));
    expect(fake.objects[0].fields.priority).toBe(priority);
  });

  it('clips short_description to 160 characters', async () => {
    await sut.create(target, publishContent({ title: 'x'.repeat(300) }));
    expect(Array.from(fake.objects[0].fields.short_description)).toHaveLength(160);
    expect(fake.violations).toEqual([]);
  });

  it('finds a record by its stored sys_id, and treats a deleted one as gone', async () => {
    const content = publishContent();
    const created = await sut.create(target, content);
    expect(await sut.find(target, content, created.id)).toEqual(created);
    expect(await sut.find(target, content, '0'.repeat(32))).toBeNull();
    expect(fake.violations).toEqual([]);
  });

  it('after the create answer is lost, the retry finds the incident by correlation_id and does not create a second', async () => {
    const content = publishContent();
    fake.failNext('create', { dropAfterCreate: true });
    const result = await publishWithRetries(sut, target, content);
    expect(fake.objects).toHaveLength(1);
    expect(result.id).toBe(fake.objects[0].sys_id);
    expect(fake.requests.map((r) => r.operation)).toEqual(['search', 'create', 'search', 'update']);
    expect(fake.violations).toEqual([]);
  });

  it('publishes a knowledge article as a draft with the marker, and finds it again by the marker', async () => {
    const kbTarget = { ...target, options: { table: 'kb_knowledge' as const, kb_knowledge_base: DEFAULT_KNOWLEDGE_BASE } };
    const content = publishContent();
    fake.failNext('create', { dropAfterCreate: true });
    const result = await publishWithRetries(sut, kbTarget, content);
    expect(fake.objects).toHaveLength(1);
    expect(fake.objects[0]).toMatchObject({ table: 'kb_knowledge', number: 'KB0010001' });
    expect(fake.objects[0].fields).toMatchObject({
      workflow_state: 'draft',
      kb_knowledge_base: DEFAULT_KNOWLEDGE_BASE,
      text: expect.stringContaining(`publication ${content.publicationId}`),
    });
    expect(result).toMatchObject({ displayId: 'KB0010001', url: expect.stringContaining('/nav_to.do?uri=kb_knowledge.do?sys_id=') });
    expect(fake.violations).toEqual([]);
  });

  it('refuses a knowledge article without a knowledge base before sending anything', async () => {
    const err = await publishFailure(sut.create({ ...target, options: { table: 'kb_knowledge' } }, publishContent()));
    expect(err).toMatchObject({ kind: 'bad_request' });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses to run without a user name, before sending anything', async () => {
    const anonymous = new ServiceNowPublisher(http, { username: null, secret: PASSWORD });
    expect(await publishFailure(anonymous.testConnection(target))).toMatchObject({ kind: 'bad_request' });
    expect(fake.connections).toBe(0);
  });

  it.each([
    ['9', 9000],
    ['Wed, 21 Oct 2015 07:28:09 GMT', 9000],
  ])('turns 429 with Retry-After %s into rate_limited with retryAfterMs', async (retryAfter, ms) => {
    const pinned = new ServiceNowPublisher(
      http,
      { username: USER, secret: PASSWORD },
      { now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT') },
    );
    fake.failNext('create', { status: 429, retryAfter });
    expect(await publishFailure(pinned.create(target, publishContent()))).toMatchObject({ kind: 'rate_limited', retryAfterMs: ms });
    expect(fake.objects).toHaveLength(0);
  });

  it.each([
    [500, 'server'],
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'not_found'],
  ] as const)('maps an injected %i on search to %s', async (status, kind) => {
    fake.failNext('search', { status });
    expect(await publishFailure(sut.find(target, publishContent(), null))).toMatchObject({ kind, status });
  });

  it('times out a hung create with kind timeout', async () => {
    const hurried = new ServiceNowPublisher(http, { username: USER, secret: PASSWORD }, { timeoutMs: HUNG_MS });
    fake.failNext('create', { hang: true });
    expect(await publishFailure(hurried.create(target, publishContent()))).toMatchObject({ kind: 'timeout' });
  });

  it('fails with auth on a wrong password, and the password never appears in the error or the recorded requests', async () => {
    const wrong = new ServiceNowPublisher(http, { username: USER, secret: 'canary-wrong-password' });
    const err = await publishFailure(wrong.testConnection(target));
    expect(err).toMatchObject({ kind: 'auth', status: 401 });
    expect(JSON.stringify({ ...err, m: err.message, s: err.stack })).not.toContain('canary-wrong-password');
    expect(JSON.stringify(fake.requests)).not.toMatch(/canary/);
  });

  it('tests the connection with a one-row read', async () => {
    await sut.testConnection(target);
    expect(fake.requests[0]).toMatchObject({
      operation: 'list',
      path: '/api/now/table/incident',
      query: { sysparm_limit: '1', sysparm_fields: 'sys_id' },
    });
    expect(fake.violations).toEqual([]);
  });
});

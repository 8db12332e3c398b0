import { FakeConfluence } from '@tftsr/test-support/fakes/fake-confluence';
import {
  loopbackHttp,
  publishContent,
  publishFailure,
  publishTarget,
  publishWithRetries,
} from '@tftsr/test-support/fakes/publish-fixtures';
import type { IntegrationHttp } from '../integration-http';
import { FORBIDDEN_CHAR_MARKER, markdownToHtml } from '../render';
import { ConfluencePublisher } from './confluence';
import type { PublishTarget } from './types';

const EMAIL = 'ops@example.com';
const TOKEN = 'canary-confluence-token-91c2';

/** Enough for any answer on a loaded machine; only the hung-call test waits for a timeout, its own short one. */
const ANSWER_MS = 10_000;
const HUNG_MS = 250;

describe('ConfluencePublisher', () => {
  let fake: FakeConfluence;
  let http: IntegrationHttp;
  let target: PublishTarget;
  let sut: ConfluencePublisher;

  beforeEach(async () => {
    fake = await FakeConfluence.start({ auth: { email: EMAIL, token: TOKEN } });
    http = loopbackHttp();
    target = publishTarget('confluence', fake.baseUrl, { username: EMAIL });
    sut = new ConfluencePublisher(http, { username: EMAIL, secret: TOKEN }, { timeoutMs: ANSWER_MS });
  });
  afterEach(async () => {
    await http.close();
    await fake.close();
  });

  it('publishes an RCA quoting a coloured terminal log with form feeds, bells and U+FFFE: the body is well-formed XML', async () => {
    const log = '```\n\u001b[31mERROR\u001b[0m disk full\f\u0007 \ufffe\b\n```\n';
    const content = publishContent({ markdown: log, html: markdownToHtml(log) });
    const created = await sut.create(target, content);
    expect(fake.violations).toEqual([]);
    expect(fake.objects[0].body).toContain(
      `ERROR disk full${FORBIDDEN_CHAR_MARKER}${FORBIDDEN_CHAR_MARKER} ${FORBIDDEN_CHAR_MARKER}${FORBIDDEN_CHAR_MARKER}`,
    );
    expect(created.id).toBe(fake.objects[0].id);
  });

  it('creates a page with the marker, finds it by the marker, and updates it with version + 1', async () => {
    const content = publishContent();
    expect(await sut.find(target, content, null)).toBeNull();
    const created = await sut.create(target, content);
    expect(created).toMatchObject({
      version: 1,
      url: `${fake.baseUrl}/wiki/spaces/ENG/pages/${created.id}/RCA%3A+checkout+latency+after+the+cache+rollout`,
    });
    expect(fake.objects[0].body).toContain(`publication ${content.publicationId}`);

    const found = await sut.find(target, content, null);
    expect(found).toMatchObject({ id: created.id, version: 1 });
    const updated = await sut.update(target, { ...content, html: '<p>v2</p>' }, found!);
    expect(updated).toMatchObject({ id: created.id, version: 2 });
    expect(fake.objects).toHaveLength(1);
    expect(fake.objects[0]).toMatchObject({ version: 2, body: expect.stringMatching(/^<p>v2<\/p>\n<p><em>Published by TFTSR/) });
    expect(fake.requests.map((r) => r.operation)).toEqual(['space', 'search', 'create', 'search', 'update']);
    expect(fake.violations).toEqual([]);
  });

  it('finds a page by its stored id, with its version, and treats a deleted one as gone', async () => {
    const content = publishContent();
    const created = await sut.create(target, content);
    expect(await sut.find(target, content, created.id)).toMatchObject({ id: created.id, version: 1 });
    expect(await sut.find(target, content, '424242')).toBeNull();
    expect(fake.violations).toEqual([]);
  });

  it('puts the page under the parent page when one is given', async () => {
    const parent = fake.seedPage({ spaceKey: 'ENG', title: 'Incident reports', body: '<p>index</p>' });
    await sut.create({ ...target, options: { parent_page_id: parent.id } }, publishContent());
    expect(fake.objects[1].parentId).toBe(parent.id);
    expect(fake.violations).toEqual([]);
  });

  it('after the create answer is lost, the retry searches, finds the one page and does not create a second', async () => {
    const content = publishContent();
    fake.failNext('create', { dropAfterCreate: true });
    const result = await publishWithRetries(sut, target, content);
    expect(fake.objects).toHaveLength(1);
    expect(result).toMatchObject({ id: fake.objects[0].id, version: 2 });
    expect(fake.requests.map((r) => r.operation)).toEqual(['space', 'search', 'create', 'search', 'update']);
    expect(fake.violations).toEqual([]);
  });

  it('maps "A page with this title already exists" to a marker search and updates our own page', async () => {
    const content = publishContent();
    fake.failNext('create', { dropAfterCreate: true });
    await expect(sut.create(target, content)).rejects.toMatchObject({ kind: 'network' });
    const result = await sut.create(target, content);
    expect(result).toMatchObject({ id: fake.objects[0].id, version: 2 });
    expect(fake.objects).toHaveLength(1);
    expect(fake.violations).toEqual([]);
  });

  it("refuses a human's page with the same title, and leaves it untouched", async () => {
    const content = publishContent();
    const theirs = fake.seedPage({ spaceKey: 'ENG', title: content.title, body: '<p>hand-written</p>' });
    expect(await publishFailure(sut.find(target, content, null))).toMatchObject({ kind: 'foreign_object', retryable: false });
    expect(await publishFailure(sut.create(target, content))).toMatchObject({ kind: 'foreign_object' });
    expect(fake.objects).toEqual([{ ...theirs }]);
    expect(fake.requestsFor('update')).toHaveLength(0);
  });

  it.each([
    ['7', 7000],
    ['Wed, 21 Oct 2015 07:28:07 GMT', 7000],
  ])('turns 429 with Retry-After %s into rate_limited with retryAfterMs', async (retryAfter, ms) => {
    const pinned = new ConfluencePublisher(
      http,
      { username: EMAIL, secret: TOKEN },
      { now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT') },
    );
    fake.failNext('space', { status: 429, retryAfter });
    const err = await publishFailure(pinned.find(target, publishContent(), null));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: ms, retryable: true });
  });

  it.each([
    [500, 'server', true],
    [503, 'unavailable', true],
    [401, 'auth', false],
    [403, 'forbidden', false],
    [404, 'not_found', false],
    [400, 'bad_request', false],
  ] as const)('maps an injected %i on create to %s (retryable: %s)', async (status, kind, retryable) => {
    fake.failNext('create', { status });
    const err = await publishFailure(sut.create(target, publishContent()));
    expect(err).toMatchObject({ kind, status, retryable });
    expect(err.message).toContain(`Confluence POST /wiki/api/v2/pages answered ${status}`);
    expect(fake.objects).toHaveLength(0);
  });

  it('times out a hung call with kind timeout', async () => {
    const hurried = new ConfluencePublisher(http, { username: EMAIL, secret: TOKEN }, { timeoutMs: HUNG_MS });
    fake.failNext('search', { hang: true });
    expect(await publishFailure(hurried.find(target, publishContent(), null))).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('reports a stale version as a retryable conflict', async () => {
    const created = await sut.create(target, publishContent());
    const err = await publishFailure(sut.update(target, publishContent(), { ...created, version: 5 }));
    expect(err).toMatchObject({ kind: 'conflict', retryable: true });
    expect(fake.violations).toEqual([expect.stringContaining('version 6 is not current (1) + 1')]);
  });

  it('fails with auth on a wrong token, and the token never appears in the error', async () => {
    const wrong = new ConfluencePublisher(http, { username: EMAIL, secret: `${TOKEN}-old` }, {});
    const err = await publishFailure(wrong.testConnection(target));
    expect(err).toMatchObject({ kind: 'auth', status: 401 });
    expect(JSON.stringify({ ...err, m: err.message, s: err.stack })).not.toContain(TOKEN);
    expect(fake.requests[0].authOk).toBe(false);
    expect(JSON.stringify(fake.requests)).not.toContain(TOKEN);
  });

  it('tests the connection against the space, and says so when the space does not exist', async () => {
    await sut.testConnection(target);
    const err = await publishFailure(sut.testConnection({ ...target, spaceKey: 'NOPE' }));
    expect(err).toMatchObject({ kind: 'not_found' });
    expect(err.message).toContain('space NOPE does not exist');
    expect(await publishFailure(sut.testConnection({ ...target, spaceKey: null }))).toMatchObject({ kind: 'bad_request' });
    expect(fake.violations).toEqual([]);
  });
});

describe('ConfluencePublisher with OAuth through the API gateway', () => {
  it('sends a bearer token under the /ex/confluence/<cloudId> base path and builds links from _links', async () => {
    const fake = await FakeConfluence.start({ auth: { bearer: 'canary-oauth-bearer' }, pathPrefix: '/ex/confluence/cloud-123' });
    const http = loopbackHttp();
    const sut = new ConfluencePublisher(http, { username: null, secret: 'canary-oauth-bearer' });
    const target = publishTarget('confluence', fake.baseUrl);
    const created = await publishWithRetries(sut, target, publishContent());
    expect(created.url.startsWith(`${fake.baseUrl}/wiki/spaces/ENG/pages/${created.id}/`)).toBe(true);
    expect(fake.requests.every((r) => r.path.startsWith('/ex/confluence/cloud-123/wiki/api/v2/'))).toBe(true);
    expect(fake.violations).toEqual([]);
    await http.close();
    await fake.close();
  });
});

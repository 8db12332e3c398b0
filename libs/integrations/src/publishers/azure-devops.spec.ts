import { FakeAzureDevOps, SIGN_IN_PAGE } from '@tftsr/test-support/fakes/fake-azure-devops';
import {
  loopbackHttp,
  publishContent,
  publishFailure,
  publishTarget,
  publishWithRetries,
} from '@tftsr/test-support/fakes/publish-fixtures';
import type { IntegrationHttp } from '../integration-http';
import { AzureDevOpsPublisher } from './azure-devops';
import type { PublishTarget } from './types';

const PAT = 'canary-ado-pat-3b8e0f';

/** Enough for any answer on a loaded machine; only the hung-call test waits for a timeout, its own short one. */
const ANSWER_MS = 10_000;
const HUNG_MS = 250;

describe('AzureDevOpsPublisher', () => {
  let fake: FakeAzureDevOps;
  let http: IntegrationHttp;
  let target: PublishTarget;
  let sut: AzureDevOpsPublisher;

  beforeEach(async () => {
    fake = await FakeAzureDevOps.start({ pat: PAT });
    http = loopbackHttp();
    target = publishTarget('azuredevops', fake.baseUrl);
    sut = new AzureDevOpsPublisher(http, { username: null, secret: PAT }, { timeoutMs: ANSWER_MS });
  });
  afterEach(async () => {
    await http.close();
    await fake.close();
  });

  it('adds a document to an existing work item as a discussion comment; with description mode it replaces the description too', async () => {
    const item = await sut.create(target, publishContent());
    const doc = publishContent({ title: 'Postmortem', html: '<p>what happened</p>' });
    await sut.attach(target, doc, item, 'comment');
    const stored = fake.objects[0];
    expect(fake.objects).toHaveLength(1);
    expect(stored.comments).toEqual(['<p><strong>Postmortem</strong></p>\n<p>what happened</p>']);
    expect(stored.fields['System.Description']).not.toContain('what happened');
    await sut.attach(target, doc, item, 'description');
    expect(stored.comments).toHaveLength(2);
    expect(stored.fields['System.Description']).toContain('what happened');
    expect(fake.requests.every((r) => r.query['api-version'] === '7.1')).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('creates a Bug with title, HTML description, severity and the publication tag, finds it by WIQL, and updates it', async () => {
    const content = publishContent({ severity: 'critical' });
    expect(await sut.find(target, content, null)).toBeNull();
    const created = await sut.create(target, content);
    expect(created).toEqual({ id: '1', displayId: '#1', url: `${fake.baseUrl}/Fabrikam%20Fiber/_workitems/edit/1` });
    expect(fake.objects[0]).toMatchObject({
      type: 'Bug',
      fields: {
        'System.Title': content.title,
        'System.Description': expect.stringContaining(`publication ${content.publicationId}`),
        'System.Tags': `tftsr; tftsr-${content.publicationId}`,
        'Microsoft.VSTS.Common.Severity': '1 - Critical',
      },
    });

    const found = await sut.find(target, content, null);
    expect(found).toEqual(created);
    await sut.update(target, { ...content, title: 'RCA v2' }, found!);
    expect(fake.objects).toHaveLength(1);
    expect(fake.objects[0]).toMatchObject({ rev: 2, fields: { 'System.Title': 'RCA v2' } });
    expect(fake.requests.map((r) => `${r.operation} ${r.path}`)).toEqual([
      'search /fabrikam/Fabrikam%20Fiber/_apis/wit/wiql',
      'create /fabrikam/Fabrikam%20Fiber/_apis/wit/workitems/$Bug',
      'search /fabrikam/Fabrikam%20Fiber/_apis/wit/wiql',
      'update /fabrikam/Fabrikam%20Fiber/_apis/wit/workitems/1',
    ]);
    expect(fake.requests[1].headers['content-type']).toBe('application/json-patch+json');
    expect(fake.violations).toEqual([]);
  });

  it.each([
    ['high', '2 - High'],
    ['medium', '3 - Medium'],
    ['low', '4 - Low'],
  ])('maps severity %s to %s', async (severity, expected) => {
    await sut.create(target, publishContent({ severity }));
    expect(fake.objects[0].fields['Microsoft.VSTS.Common.Severity']).toBe(expected);
  });

  it('sends no Severity for a type other than Bug', async () => {
    await sut.create({ ...target, options: { work_item_type: 'User Story' } }, publishContent());
    expect(fake.objects[0].type).toBe('User Story');
    expect(fake.objects[0].fields['Microsoft.VSTS.Common.Severity']).toBeUndefined();
    expect(fake.requests[0].path).toBe('/fabrikam/Fabrikam%20Fiber/_apis/wit/workitems/$User%20Story');
    expect(fake.violations).toEqual([]);
  });

  it('doubles single quotes of the tag in WIQL', async () => {
    const content = publishContent({ publicationId: "pub'1" });
    await sut.create(target, content);
    expect(await sut.find(target, content, null)).toMatchObject({ id: '1' });
    expect((fake.requests[1].body as { query: string }).query).toContain("CONTAINS 'tftsr-pub''1'");
    expect(fake.violations).toEqual([]);
  });

  it('finds a work item by its stored id, and treats a deleted one as gone', async () => {
    const content = publishContent();
    const created = await sut.create(target, content);
    expect(await sut.find(target, content, created.id)).toEqual(created);
    expect(await sut.find(target, content, '999')).toBeNull();
    expect(fake.violations).toEqual([]);
  });

  it('after the create answer is lost, the retry finds the work item by its tag and does not create a second', async () => {
    const content = publishContent();
    fake.failNext('create', { dropAfterCreate: true });
    const result = await publishWithRetries(sut, target, content);
    expect(fake.objects).toHaveLength(1);
    expect(result.id).toBe(String(fake.objects[0].id));
    expect(fake.requests.map((r) => r.operation)).toEqual(['search', 'create', 'search', 'update']);
    expect(fake.violations).toEqual([]);
  });

  it('maps the 203 sign-in page of a rejected PAT to auth', async () => {
    const wrong = new AzureDevOpsPublisher(http, { username: null, secret: 'canary-expired-pat' });
    const err = await publishFailure(wrong.create(target, publishContent()));
    expect(err).toMatchObject({ kind: 'auth', status: 203, retryable: false });
    expect(JSON.stringify({ ...err, m: err.message, s: err.stack })).not.toContain('canary-expired-pat');
    expect(fake.objects).toHaveLength(0);
    expect(fake.violations).toEqual([expect.stringContaining('Authorization header is not the expected one')]);
  });

  it('maps a 200 answer with an HTML sign-in page to auth too', async () => {
    fake.failNext('project', { status: 200, html: SIGN_IN_PAGE });
    expect(await publishFailure(sut.testConnection(target))).toMatchObject({ kind: 'auth', status: 200 });
  });

  it.each([
    ['30', 30_000],
    ['Wed, 21 Oct 2015 07:28:30 GMT', 30_000],
  ])('turns 429 (TF400733) with Retry-After %s into rate_limited with retryAfterMs', async (retryAfter, ms) => {
    const pinned = new AzureDevOpsPublisher(
      http,
      { username: null, secret: PAT },
      { now: () => Date.parse('Wed, 21 Oct 2015 07:28:00 GMT') },
    );
    fake.failNext('search', { status: 429, retryAfter });
    const err = await publishFailure(pinned.find(target, publishContent(), null));
    expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: ms });
    expect(err.message).toContain('TF400733');
  });

  it.each([
    [500, 'server'],
    [503, 'unavailable'],
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'not_found'],
  ] as const)('maps an injected %i on update to %s', async (status, kind) => {
    const created = await sut.create(target, publishContent());
    fake.failNext('update', { status });
    expect(await publishFailure(sut.update(target, publishContent(), created))).toMatchObject({ kind, status });
  });

  it('times out a hung WIQL query with kind timeout', async () => {
    const hurried = new AzureDevOpsPublisher(http, { username: null, secret: PAT }, { timeoutMs: HUNG_MS });
    fake.failNext('search', { hang: true });
    expect(await publishFailure(hurried.find(target, publishContent(), null))).toMatchObject({ kind: 'timeout' });
  });

  it('tests the connection against the project, and names a missing one', async () => {
    await sut.testConnection(target);
    expect(fake.requests[0]).toMatchObject({
      operation: 'project',
      path: '/fabrikam/_apis/projects/Fabrikam%20Fiber',
      query: { 'api-version': '7.1' },
    });
    const err = await publishFailure(sut.testConnection({ ...target, projectName: 'Nope' }));
    expect(err).toMatchObject({ kind: 'not_found' });
    expect(err.message).toContain('TF200016');
    expect(await publishFailure(sut.testConnection({ ...target, projectName: null }))).toMatchObject({ kind: 'bad_request' });
    expect(fake.violations).toEqual([]);
  });
});

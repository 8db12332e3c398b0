import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { generateApiKey, openDatabase } from '@tftsr/db';
import type { RunningStack } from '../support/app-processes';
import { startStack, waitFor } from '../support/app-processes';
import { FakeAzureDevOps } from '../support/fakes/fake-azure-devops';
import { DEFAULT_KNOWLEDGE_BASE, FakeServiceNow } from '../support/fakes/fake-servicenow';
import { TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

interface Publication {
  id: string;
  service: string;
  document_id: string | null;
  state: 'queued' | 'published' | 'failed';
  remote_id: string | null;
  remote_display_id: string | null;
  last_error: string | null;
}

/**
 * Publishing against services that behave as the real ones do under load (issue 16): a create that commits
 * seconds after the client gave up, one incident and one work item per issue, and objects that exist although
 * every retry failed. The real API and worker processes; the services are the contract-checking fakes.
 * Small numbers keep it fast: the client gives up after 300 ms, the fake commits after 900 ms, and no second
 * create goes out for 2 s.
 */
describe('publishing against slow and stateful services', () => {
  const adminKey = generateApiKey();
  let stack: RunningStack;
  let db: Db;
  let servicenow: FakeServiceNow;
  let ado: FakeAzureDevOps;
  let count = 0;

  beforeAll(async () => {
    servicenow = await FakeServiceNow.start({ username: 'svc-tftsr', password: 'sn-password-7a1' });
    ado = await FakeAzureDevOps.start({ pat: 'ado-pat-41c' });
    const shared = {
      TFTSR_TEST_INTEGRATION_ORIGINS: [servicenow.origin, ado.origin].join(','),
      TFTSR_QUEUE_PREFIX: uniqueQueuePrefix('publishing-remote'),
    };
    stack = await startStack('publishing-remote', adminKey, shared, {
      ...shared,
      TFTSR_PUBLISH_TIMEOUT_MS: '300',
      TFTSR_PUBLISH_COMMIT_WINDOW_MS: '2000',
      TFTSR_PUBLISH_RECONCILE_INTERVAL_MS: '500',
      TFTSR_PUBLISH_BACKOFF_MS: '100',
      TFTSR_PUBLISH_BACKOFF_MAX_MS: '500',
    });
    db = openDatabase({ path: join(stack.dataDir, 'tftsr.db'), key: TEST_KEY });
    await configure('servicenow', { base_url: servicenow.baseUrl, username: 'svc-tftsr' }, 'sn-password-7a1');
    await configure('azuredevops', { base_url: ado.baseUrl, project_name: 'Fabrikam Fiber' }, 'ado-pat-41c');
  }, 60_000);

  afterAll(async () => {
    db?.close();
    await stack?.stop();
    await Promise.all([servicenow?.close(), ado?.close()]);
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${stack.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function configure(service: string, config: Record<string, unknown>, secret: string): Promise<void> {
    expect((await call('PUT', `/v1/integrations/${service}/config`, config)).status).toBe(200);
    expect((await call('PUT', `/v1/integrations/${service}/credential`, { secret })).status).toBe(200);
  }

  async function newIssue(severity = 'high'): Promise<string> {
    count += 1;
    const created = await call('POST', '/v1/issues', { title: `Checkout latency #${count}`, description: 'p99 went to 4 s.', severity });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function newDocument(issueId: string, docType = 'rca'): Promise<string> {
    const doc = await call('POST', `/v1/issues/${issueId}/documents`, { doc_type: docType });
    expect(doc.status).toBe(201);
    return doc.body.id;
  }

  async function publish(docId: string, service: string, options: Record<string, unknown> = {}): Promise<Publication> {
    expect((await call('POST', `/v1/documents/${docId}/publish`, { service, ...options })).status).toBe(202);
    return settled(docId, service);
  }

  function settled(docId: string, service: string): Promise<Publication> {
    return waitFor(
      async () => {
        const p = ((await call('GET', `/v1/documents/${docId}/publications`)).body.items as Publication[]).find(
          (i) => i.service === service,
        );
        return p && p.state !== 'queued' ? p : undefined;
      },
      45_000,
      () => stack.worker.output().slice(-3000),
    );
  }

  describe('a create that commits after the client gave up', () => {
    it.each([
      ['servicenow', () => servicenow],
      ['azuredevops', () => ado],
    ] as const)('%s: no second create until searches over the commit window found nothing', async (service, fakeOf) => {
      const fake = fakeOf();
      const before = fake.objects.length;
      const creates = fake.requestsFor('create').length;
      const docId = await newDocument(await newIssue());
      fake.failNext('create', { commitAfterMs: 900 });
      const publication = await publish(docId, service);
      expect(publication.state).toBe('published');
      expect(fake.lateCommits).toBeGreaterThanOrEqual(1);
      expect(fake.objects.length).toBe(before + 1);
      expect(fake.requestsFor('create').length).toBe(creates + 1);
      expect(fake.violations).toEqual([]);
    });

    it('still creates once the window has passed and the searches found nothing (the create was lost)', async () => {
      const docId = await newDocument(await newIssue());
      const before = servicenow.objects.length;
      servicenow.failNext('create', { hang: true });
      const publication = await publish(docId, 'servicenow');
      expect(publication.state).toBe('published');
      expect(servicenow.objects.length).toBe(before + 1);
      const creates = servicenow
        .requestsFor('create')
        .slice(-2)
        .map((r) => r.receivedAt);
      // The window counts from when the worker sent the first create, a few ms before the fake saw it.
      expect(creates[1] - creates[0]).toBeGreaterThanOrEqual(1900);
    });
  });

  describe('one incident per issue, one work item per issue', () => {
    it('the RCA of a critical issue goes into the incident the issue opened (work notes, close notes), not a second incident', async () => {
      await call('PUT', '/v1/integrations/servicenow/config', {
        base_url: servicenow.baseUrl,
        username: 'svc-tftsr',
        auto_create_enabled: true,
      });
      try {
        const incidents = servicenow.objects.filter((r) => r.table === 'incident').length;
        const issueId = await newIssue('critical');
        const docId = await newDocument(issueId);
        const rca = await settled(docId, 'servicenow');
        const all = (await call('GET', `/v1/issues/${issueId}/publications`)).body.items as Publication[];
        const incident = all.find((p) => p.document_id === null)!;
        expect(incident).toMatchObject({ state: 'published', remote_display_id: expect.stringMatching(/^INC/) });
        expect(rca).toMatchObject({ state: 'published', remote_id: incident.remote_id });
        expect(servicenow.objects.filter((r) => r.table === 'incident').length).toBe(incidents + 1);
        const record = servicenow.objects.find((r) => r.sys_id === incident.remote_id)!;
        expect(record.fields.close_notes.length).toBeGreaterThan(20);
        expect(record.fields.close_notes).not.toMatch(/^#/m);
        expect(record.journal).toEqual([expect.objectContaining({ field: 'work_notes' })]);
        expect(record.fields.description).not.toMatch(/\|/);
      } finally {
        await call('PUT', '/v1/integrations/servicenow/config', {
          base_url: servicenow.baseUrl,
          username: 'svc-tftsr',
          auto_create_enabled: false,
        });
      }
    });

    it('with publishing.servicenow.existing_incident = kb_knowledge, a second document becomes a knowledge article', async () => {
      const issueId = await newIssue();
      const first = await publish(await newDocument(issueId), 'servicenow');
      expect((await call('PUT', '/v1/settings/publishing.servicenow.existing_incident', { value: 'kb_knowledge' })).status).toBe(200);
      expect((await call('PUT', '/v1/settings/publishing.servicenow.kb_knowledge_base', { value: DEFAULT_KNOWLEDGE_BASE })).status).toBe(
        200,
      );
      try {
        const second = await publish(await newDocument(issueId, 'postmortem'), 'servicenow');
        expect(second.state).toBe('published');
        expect(second.remote_id).not.toBe(first.remote_id);
        expect(servicenow.objects.find((r) => r.sys_id === second.remote_id)).toMatchObject({ table: 'kb_knowledge' });
        expect(servicenow.objects.filter((r) => r.table === 'incident' && r.fields.correlation_id === second.id)).toEqual([]);
      } finally {
        await call('PUT', '/v1/settings/publishing.servicenow.existing_incident', { value: 'work_notes' });
      }
    });

    it('Azure DevOps: a second document of the issue is a comment on its work item', async () => {
      const issueId = await newIssue();
      const before = ado.objects.length;
      const first = await publish(await newDocument(issueId), 'azuredevops');
      const second = await publish(await newDocument(issueId, 'postmortem'), 'azuredevops');
      expect(second).toMatchObject({ state: 'published', remote_id: first.remote_id });
      expect(ado.objects.length).toBe(before + 1);
      expect(ado.objects.find((w) => String(w.id) === first.remote_id)!.comments).toHaveLength(1);
      expect(ado.violations).toEqual([]);
    });
  });

  it('a failed publication whose object exists gets its remote id from the reconciler', async () => {
    const docId = await newDocument(await newIssue());
    const before = servicenow.objects.length;
    const createsBefore = servicenow.requestsFor('create').length;
    servicenow.failNext('create', { dropAfterCreate: true });
    // The retry's search is refused (a permanent error), so the publication fails although its incident exists.
    servicenow.failNext((r) => r.operation === 'search' && servicenow.requestsFor('create').length > createsBefore, { status: 400 });
    const publication = await publish(docId, 'servicenow');
    expect(publication.state).toBe('failed');
    expect(servicenow.objects.length).toBe(before + 1);
    const reconciled = await waitFor(
      async () => {
        const p = ((await call('GET', `/v1/documents/${docId}/publications`)).body.items as Publication[])[0];
        return p.remote_id ? p : undefined;
      },
      20_000,
      () => stack.worker.output().slice(-3000),
    );
    expect(reconciled).toMatchObject({ state: 'failed', remote_id: servicenow.objects.at(-1)!.sys_id });
    const audit = db
      .prepare(`SELECT details FROM audit_log WHERE action = 'record_remote_object' AND entity_id = ?`)
      .all(publication.id) as { details: string }[];
    expect(audit.map((a) => JSON.parse(a.details).how)).toEqual(['reconciled']);
    expect((await publish(docId, 'servicenow')).remote_id).toBe(reconciled.remote_id);
    expect(servicenow.objects.length).toBe(before + 1);
  });
});

import IORedis from 'ioredis';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { generateApiKey, openDatabase } from '@tftsr/db';
import type { RunningStack } from '../support/app-processes';
import { startStack, waitFor } from '../support/app-processes';
import { FakeAzureDevOps } from '../support/fakes/fake-azure-devops';
import { FakeConfluence } from '../support/fakes/fake-confluence';
import type { FakeServer } from '../support/fakes/fake-server';
import { FakeServiceNow } from '../support/fakes/fake-servicenow';
import { TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

/** Secrets that must never show up outside the credentials table's ciphertext. */
const CANARY = {
  confluence: 'canary-cf-token-9d2e41b7c3',
  servicenow: 'canary-sn-password-51fa0e82d6',
  azuredevops: 'canary-ado-pat-0c7b93e1a4',
};
const PLANTED_SECRET = 'AKIAIOSFODNN7EXAMPLE';
type Service = keyof typeof CANARY;

interface Publication {
  id: string;
  service: Service;
  state: 'queued' | 'published' | 'failed';
  remote_id: string | null;
  remote_url: string | null;
  remote_display_id: string | null;
  sent_sha256: string | null;
  redacted_by_gate: boolean;
  attempts: number;
  last_error: string | null;
  pii_findings: { pii_type: string; field: string; masked: string }[] | null;
}

/**
 * Publishing end to end: the real API and worker processes, the three services replaced by local fakes that
 * check every request against the documented contract. Each test shows one promise of issue 6.
 */
describe('publishing to Confluence, ServiceNow and Azure DevOps', () => {
  const adminKey = generateApiKey();
  const prefix = uniqueQueuePrefix('publishing');
  const responses: string[] = [];
  let stack: RunningStack;
  let db: Db;
  let confluence: FakeConfluence;
  let servicenow: FakeServiceNow;
  let ado: FakeAzureDevOps;
  let fakes: Record<Service, FakeServer<string>>;
  let internal: Server;
  let internalConnections = 0;
  let internalPort: number;
  let issueCount = 0;

  beforeAll(async () => {
    confluence = await FakeConfluence.start({ auth: { email: 'ops@example.com', token: CANARY.confluence } });
    servicenow = await FakeServiceNow.start({ username: 'svc-tftsr', password: CANARY.servicenow });
    ado = await FakeAzureDevOps.start({ pat: CANARY.azuredevops });
    fakes = { confluence, servicenow, azuredevops: ado };
    internal = createServer((socket) => {
      internalConnections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
    internalPort = (internal.address() as { port: number }).port;

    const origins = [confluence.origin, servicenow.origin, ado.origin].join(',');
    const shared = { TFTSR_TEST_INTEGRATION_ORIGINS: origins, TFTSR_QUEUE_PREFIX: prefix, TFTSR_LOG_LEVEL: 'debug' };
    stack = await startStack('publishing', adminKey, shared, {
      ...shared,
      TFTSR_PUBLISH_BACKOFF_MS: '200',
      TFTSR_PUBLISH_BACKOFF_MAX_MS: '2000',
      TFTSR_PUBLISH_TIMEOUT_MS: '1500',
      TFTSR_PUBLISH_COMMIT_WINDOW_MS: '3000',
    });
    db = openDatabase({ path: join(stack.dataDir, 'tftsr.db'), key: TEST_KEY });

    await configure('confluence', { base_url: confluence.baseUrl, space_key: 'ENG', username: 'ops@example.com' });
    await configure('servicenow', { base_url: servicenow.baseUrl, username: 'svc-tftsr' });
    await configure('azuredevops', { base_url: ado.baseUrl, project_name: 'Fabrikam Fiber' });
  }, 60_000);

  afterAll(async () => {
    db?.close();
    await stack?.stop();
    await Promise.all([confluence?.close(), servicenow?.close(), ado?.close()]);
    await new Promise((resolve) => internal?.close(resolve));
  });

  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${stack.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    responses.push(text);
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function configure(service: Service, config: Record<string, unknown>): Promise<void> {
    expect((await call('PUT', `/v1/integrations/${service}/config`, config)).status).toBe(200);
    expect((await call('PUT', `/v1/integrations/${service}/credential`, { secret: CANARY[service] })).status).toBe(200);
  }

  async function newDocument(issue: Record<string, unknown> = {}): Promise<{ issueId: string; docId: string }> {
    issueCount += 1;
    const created = await call('POST', '/v1/issues', {
      title: `Checkout latency after the cache rollout #${issueCount}`,
      description: 'p99 went to 4 s.',
      severity: 'high',
      ...issue,
    });
    expect(created.status).toBe(201);
    const doc = await call('POST', `/v1/issues/${created.body.id}/documents`, { doc_type: 'rca' });
    expect(doc.status).toBe(201);
    return { issueId: created.body.id, docId: doc.body.id };
  }

  async function publish(docId: string, service: Service, options: Record<string, unknown> = {}): Promise<Publication> {
    const accepted = await call('POST', `/v1/documents/${docId}/publish`, { service, ...options });
    expect(accepted.status).toBe(202);
    return settled(docId, service);
  }

  async function settled(docId: string, service: Service): Promise<Publication> {
    return waitFor(
      async () => {
        const list = await call('GET', `/v1/documents/${docId}/publications`);
        const p = (list.body.items as Publication[]).find((i) => i.service === service);
        return p && p.state !== 'queued' ? p : undefined;
      },
      45_000,
      () => stack.worker.output().slice(-3000),
    );
  }

  const creates = (service: Service) => fakes[service].requestsFor('create');

  describe('exactly one remote object per publication', () => {
    it.each(['confluence', 'servicenow', 'azuredevops'] as Service[])(
      '%s: publishes, then publishing again updates the same object',
      async (service) => {
        const fake = fakes[service] as FakeServer<string> & { objects: unknown[] };
        const before = fake.objects.length;
        const { docId } = await newDocument();
        const first = await publish(docId, service);
        expect(first).toMatchObject({ state: 'published', attempts: 1, last_error: null, redacted_by_gate: false });
        expect(first.remote_id).toBeTruthy();
        expect(first.remote_url).toMatch(/^http/);
        expect(fake.objects.length).toBe(before + 1);

        await call('PATCH', `/v1/documents/${docId}`, { content_md: '# RCA\n\nEdited after review.' });
        const second = await publish(docId, service);
        expect(second).toMatchObject({ state: 'published', remote_id: first.remote_id });
        expect(second.sent_sha256).not.toBe(first.sent_sha256);
        expect(fake.objects.length).toBe(before + 1);
        if (service === 'confluence') expect(confluence.objects.find((p) => p.id === first.remote_id)?.version).toBe(2);

        const audit = db
          .prepare(`SELECT details FROM audit_log WHERE action = ? AND entity_id = ? ORDER BY rowid`)
          .all(`publish_to_${service}`, first.id) as { details: string }[];
        expect(audit.map((a) => JSON.parse(a.details))).toEqual([
          expect.objectContaining({ operation: 'created', remote_id: first.remote_id, sent_sha256: first.sent_sha256 }),
          expect.objectContaining({ operation: 'updated', remote_id: first.remote_id, sent_sha256: second.sent_sha256 }),
        ]);
        expect(fake.violations).toEqual([]);
      },
    );

    it.each(['confluence', 'servicenow', 'azuredevops'] as Service[])(
      '%s: a connection dropped after the create is answered by the search, not by a second create',
      async (service) => {
        const fake = fakes[service] as FakeServer<string> & { objects: unknown[] };
        const before = fake.objects.length;
        const { docId } = await newDocument();
        fake.failNext('create', { dropAfterCreate: true });
        const creating = creates(service).length;
        const publication = await publish(docId, service);
        expect(publication).toMatchObject({ state: 'published', attempts: 2 });
        expect(fake.objects.length).toBe(before + 1);
        expect(creates(service).length).toBe(creating + 1);
        expect(fake.violations).toEqual([]);
      },
    );

    it('Confluence: a page of the same title that this publication did not create is never overwritten', async () => {
      const { docId } = await newDocument({ title: 'Shared title' });
      expect(await publish(docId, 'confluence')).toMatchObject({ state: 'published' });
      const other = await newDocument({ title: 'Shared title' });
      const pages = confluence.objects.length;
      const publication = await publish(other.docId, 'confluence');
      expect(publication.state).toBe('failed');
      expect(publication.last_error).toMatch(/did not publish .*never overwritten/);
      expect(confluence.objects.length).toBe(pages);
    });

    it('a 429 with Retry-After (seconds) delays the job as the fake asked, then publishes once', async () => {
      const before = confluence.objects.length;
      const { docId } = await newDocument();
      confluence.failNext('create', { status: 429, retryAfter: '1' }, 2);
      const since = creates('confluence').length;
      const publication = await publish(docId, 'confluence');
      expect(publication).toMatchObject({ state: 'published', attempts: 3 });
      const times = creates('confluence')
        .slice(since)
        .map((r) => r.receivedAt);
      expect(times).toHaveLength(3);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(1000);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(1000);
      expect(confluence.objects.length).toBe(before + 1);
    });

    it('a 503 with Retry-After as an HTTP date is honoured too', async () => {
      const { docId } = await newDocument();
      const retryAt = new Date(Math.ceil((Date.now() + 2500) / 1000) * 1000);
      servicenow.failNext('create', { status: 503, retryAfter: retryAt.toUTCString() });
      const publication = await publish(docId, 'servicenow');
      expect(publication).toMatchObject({ state: 'published', attempts: 2 });
      const last = creates('servicenow').at(-1)!;
      expect(last.receivedAt).toBeGreaterThanOrEqual(retryAt.getTime() - 1000);
    });

    it('a 500 and a timeout back off and retry; still one object', async () => {
      const before = ado.objects.length;
      const { docId } = await newDocument();
      ado.failNext('create', { status: 500 });
      ado.failNext('create', { hang: true });
      const publication = await publish(docId, 'azuredevops');
      expect(publication).toMatchObject({ state: 'published', attempts: 3 });
      expect(ado.objects.length).toBe(before + 1);
      const reasons = db
        .prepare(`SELECT details FROM audit_log WHERE action = 'publish_attempt_failed' AND entity_id = ? ORDER BY rowid`)
        .all(publication.id) as { details: string }[];
      expect(reasons.map((r) => JSON.parse(r.details).kind)).toEqual(['server', 'timeout']);
    });

    it.each([
      [401, 'auth'],
      [403, 'forbidden'],
      [404, 'not_found'],
      [400, 'bad_request'],
    ])('a %i fails at once, with the reason, and is not retried', async (status) => {
      const { docId } = await newDocument();
      servicenow.failNext('create', { status });
      const since = creates('servicenow').length;
      const publication = await publish(docId, 'servicenow');
      expect(publication).toMatchObject({ state: 'failed', attempts: 1 });
      expect(publication.last_error).toContain(String(status));
      expect(creates('servicenow').length).toBe(since + 1);
      expect(JSON.stringify(publication)).not.toContain(CANARY.servicenow);
    });
  });

  describe('the PII gate', () => {
    it('never sends a document with a planted secret, and says what it found, masked', async () => {
      const { docId } = await newDocument();
      await call('PATCH', `/v1/documents/${docId}`, {
        content_md: `# RCA\n\nThe deploy key ${PLANTED_SECRET} was in the log; ask ops@example.com.`,
      });
      const requests = confluence.requests.length;
      const publication = await publish(docId, 'confluence');
      expect(publication.state).toBe('failed');
      expect(publication.last_error).toMatch(/PII gate/);
      expect(publication.pii_findings?.map((f) => f.pii_type)).toEqual(expect.arrayContaining(['AwsAccessKey', 'Email']));
      expect(JSON.stringify(publication)).not.toContain(PLANTED_SECRET);
      expect(JSON.stringify(publication)).not.toContain('ops@example.com');
      expect(confluence.requests.length).toBe(requests);
    });

    it('sends the redacted text instead when publishing.pii_gate is redact, and the audit says so', async () => {
      const { docId } = await newDocument();
      await call('PATCH', `/v1/documents/${docId}`, { content_md: `# RCA\n\nThe deploy key ${PLANTED_SECRET} was in the log.` });
      expect((await call('PUT', '/v1/settings/publishing.pii_gate', { value: 'redact' })).status).toBe(200);
      try {
        const publication = await publish(docId, 'azuredevops');
        expect(publication).toMatchObject({ state: 'published', redacted_by_gate: true });
        const item = ado.objects.find((w) => String(w.id) === publication.remote_id)!;
        expect(JSON.stringify(item)).not.toContain(PLANTED_SECRET);
        const audit = db
          .prepare(`SELECT details FROM audit_log WHERE action = 'publish_to_azuredevops' AND entity_id = ?`)
          .get(publication.id) as { details: string };
        expect(JSON.parse(audit.details)).toMatchObject({ redacted_by_gate: true, redacted_types: ['AwsAccessKey'] });
      } finally {
        await call('PUT', '/v1/settings/publishing.pii_gate', { value: 'block' });
      }
    });
  });

  describe('the PII gate reads what is sent', () => {
    // The document of issue 12: every value spelled with HTML entities, which the rendered body decodes.
    const ENCODED = [
      '# RCA',
      '',
      'Contact jane&#64;example&#46;com',
      '',
      'Card 4111&#32;1111&#32;1111&#32;1111',
      '',
      `Key &#65;${PLANTED_SECRET.slice(1)}`,
      '',
      'password&#61;Hunter2&#33;x',
    ].join('\n');
    const PLAIN = ['jane@example.com', '4111 1111 1111 1111', PLANTED_SECRET, 'Hunter2'];
    const ISSUE_PII = {
      title: 'Refund failed for jane.roe@example.com',
      description: 'Customer SSN 123-45-6789 was logged in clear.',
      assigned_to: 'oncall@example.org',
      tags: ['oncall@example.org'],
    };
    const ISSUE_VALUES = ['jane.roe@example.com', '123-45-6789', 'oncall@example.org'];

    it('refuses the entity-encoded document and sends nothing', async () => {
      const { docId } = await newDocument();
      await call('PATCH', `/v1/documents/${docId}`, { content_md: ENCODED });
      const requests = confluence.requests.length;
      const publication = await publish(docId, 'confluence');
      expect(publication.state).toBe('failed');
      expect(publication.pii_findings?.map((f) => f.pii_type)).toEqual(
        expect.arrayContaining(['AwsAccessKey', 'Password', 'CreditCard', 'Email']),
      );
      for (const value of PLAIN) expect(JSON.stringify(publication)).not.toContain(value);
      expect(confluence.requests.length).toBe(requests);
    });

    it('refuses a document carrying the issue’s SSN and e-mails, and redacts them all when set to redact', async () => {
      const { docId } = await newDocument(ISSUE_PII);
      const refused = await publish(docId, 'servicenow');
      expect(refused.state).toBe('failed');
      expect(refused.pii_findings?.map((f) => f.pii_type)).toEqual(expect.arrayContaining(['SSN', 'Email']));
      expect((await call('PUT', '/v1/settings/publishing.pii_gate', { value: 'redact' })).status).toBe(200);
      try {
        const { docId: second } = await newDocument({ ...ISSUE_PII, title: `${ISSUE_PII.title} again` });
        await call('PATCH', `/v1/documents/${second}`, {
          content_md: `${(await call('GET', `/v1/documents/${second}`)).body.content_md}\n\n${ENCODED}`,
        });
        const publication = await publish(second, 'azuredevops');
        expect(publication).toMatchObject({ state: 'published', redacted_by_gate: true });
        const item = JSON.stringify(ado.objects.find((w) => String(w.id) === publication.remote_id));
        for (const value of [...ISSUE_VALUES, ...PLAIN]) expect(item).not.toContain(value);
      } finally {
        await call('PUT', '/v1/settings/publishing.pii_gate', { value: 'block' });
      }
    });
  });

  describe('refusing before anything is sent', () => {
    it('checks the base URL again at send time: an internal address stored behind the API’s back is never dialled', async () => {
      const { docId } = await newDocument();
      const saved = db.prepare(`SELECT base_url FROM integration_config WHERE service = 'confluence'`).get() as { base_url: string };
      for (const url of [
        `http://127.0.0.1:${internalPort}`,
        `http://localhost:${internalPort}`,
        `http://[::ffff:127.0.0.1]:${internalPort}`,
      ]) {
        db.prepare(`UPDATE integration_config SET base_url = ? WHERE service = 'confluence'`).run(url);
        try {
          const publication = await publish(docId, 'confluence');
          expect(publication.state).toBe('failed');
          expect(publication.last_error).toMatch(/not allowed/);
        } finally {
          db.prepare(`UPDATE integration_config SET base_url = ? WHERE service = 'confluence'`).run(saved.base_url);
        }
      }
      expect(internalConnections).toBe(0);
    });

    it('a tampered credential ciphertext fails closed: nothing is sent', async () => {
      const { docId } = await newDocument();
      const row = db.prepare(`SELECT encrypted_token FROM credentials WHERE service = 'azuredevops'`).get() as { encrypted_token: string };
      const raw = Buffer.from(row.encrypted_token, 'base64');
      raw[raw.length - 1] ^= 0x01;
      db.prepare(`UPDATE credentials SET encrypted_token = ? WHERE service = 'azuredevops'`).run(raw.toString('base64'));
      const requests = ado.requests.length;
      try {
        const publication = await publish(docId, 'azuredevops');
        expect(publication).toMatchObject({ state: 'failed', attempts: 1 });
        expect(publication.last_error).toMatch(/does not decrypt/);
        expect(ado.requests.length).toBe(requests);
      } finally {
        db.prepare(`UPDATE credentials SET encrypted_token = ? WHERE service = 'azuredevops'`).run(row.encrypted_token);
      }
    });
  });

  describe('auto_create_enabled', () => {
    it('opens a ServiceNow incident for a critical issue, and publishes generated documents automatically', async () => {
      await call('PUT', '/v1/integrations/servicenow/config', {
        base_url: servicenow.baseUrl,
        username: 'svc-tftsr',
        auto_create_enabled: true,
      });
      try {
        const created = await call('POST', '/v1/issues', {
          title: 'Payments down in eu-west-1',
          description: 'All card payments fail.',
          severity: 'critical',
        });
        const incident = await waitFor(
          async () =>
            (await call('GET', `/v1/issues/${created.body.id}/publications`)).body.items.find(
              (p: Publication & { document_id: string | null }) => p.document_id === null && p.state !== 'queued',
            ),
          45_000,
          () => stack.worker.output().slice(-3000),
        );
        expect(incident).toMatchObject({ service: 'servicenow', state: 'published', remote_display_id: expect.stringMatching(/^INC/) });
        const record = servicenow.objects.find((r) => r.sys_id === incident.remote_id)!;
        expect(record.fields).toMatchObject({
          short_description: 'Payments down in eu-west-1',
          urgency: '1',
          impact: '1',
          correlation_id: incident.id,
        });

        const doc = await call('POST', `/v1/issues/${created.body.id}/documents`, { doc_type: 'rca' });
        expect(doc.body.publications).toEqual([expect.objectContaining({ service: 'servicenow', state: 'queued' })]);
        expect(await settled(doc.body.id, 'servicenow')).toMatchObject({ state: 'published' });
      } finally {
        await call('PUT', '/v1/integrations/servicenow/config', {
          base_url: servicenow.baseUrl,
          username: 'svc-tftsr',
          auto_create_enabled: false,
        });
      }
    });

    it('does not open an incident whose issue fields carry an SSN or an e-mail: the gate refuses it', async () => {
      await call('PUT', '/v1/integrations/servicenow/config', {
        base_url: servicenow.baseUrl,
        username: 'svc-tftsr',
        auto_create_enabled: true,
      });
      try {
        const creates = servicenow.requests.length;
        const created = await call('POST', '/v1/issues', {
          title: 'Refunds down for jane.roe@example.com',
          description: 'SSN 123-45-6789 in the logs.',
          severity: 'critical',
        });
        const incident = await waitFor(
          async () =>
            (await call('GET', `/v1/issues/${created.body.id}/publications`)).body.items.find(
              (p: Publication & { document_id: string | null }) => p.document_id === null && p.state !== 'queued',
            ),
          45_000,
          () => stack.worker.output().slice(-3000),
        );
        expect(incident).toMatchObject({ state: 'failed' });
        expect(incident.pii_findings.map((f: { pii_type: string }) => f.pii_type)).toEqual(expect.arrayContaining(['SSN', 'Email']));
        expect(servicenow.requests.length).toBe(creates);
        expect(JSON.stringify(incident)).not.toContain('123-45-6789');
      } finally {
        await call('PUT', '/v1/integrations/servicenow/config', {
          base_url: servicenow.baseUrl,
          username: 'svc-tftsr',
          auto_create_enabled: false,
        });
      }
    });
  });

  it('counts publish results by service and outcome on the worker’s /metrics', async () => {
    const port = /"metrics_port":(\d+)/.exec(stack.worker.output())?.[1];
    expect(port).toBeDefined();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (labels: string) => Number(new RegExp(`^tftsr_publish_results_total\\{${labels}\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    expect(value('service="confluence",outcome="created"')).toBeGreaterThanOrEqual(3);
    expect(value('service="confluence",outcome="updated"')).toBeGreaterThanOrEqual(1);
    // The planted AWS key and the entity-encoded document (the PII gate tests above).
    expect(value('service="confluence",outcome="blocked_by_pii_gate"')).toBe(2);
    expect(value('service="servicenow",outcome="failed"')).toBeGreaterThanOrEqual(4);
    expect(value('service="azuredevops",outcome="retrying"')).toBeGreaterThanOrEqual(2);
  });

  it('the canary secrets appear nowhere: logs, Redis, responses, the audit trail', async () => {
    const redis = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const dump: string[] = [];
      for (const key of await redis.keys(`${prefix}:*`)) {
        const type = await redis.type(key);
        dump.push(key);
        if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') dump.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'zset') dump.push(JSON.stringify(await redis.zrange(key, 0, -1)));
        else if (type === 'set') dump.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'string') dump.push((await redis.get(key)) ?? '');
        else if (type === 'stream') dump.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
      expect(dump.length).toBeGreaterThan(10);
      const audit = JSON.stringify(db.prepare('SELECT * FROM audit_log').all());
      const places = { logs: stack.api.output() + stack.worker.output(), redis: dump.join('\n'), responses: responses.join('\n'), audit };
      for (const secret of Object.values(CANARY)) {
        for (const [where, text] of Object.entries(places))
          expect(`${where}: ${text.includes(secret) ? 'contains' : 'clean'}`).toBe(`${where}: clean`);
      }
      expect(places.logs.length).toBeGreaterThan(1000);
    } finally {
      redis.disconnect();
    }
  });
});

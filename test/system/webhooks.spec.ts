import { generateApiKey } from '@tftsr/db';
import type { RunningStack } from '../support/app-processes';
import { startStack, waitFor } from '../support/app-processes';
import { FakeServiceNow } from '../support/fakes/fake-servicenow';
import { uniqueQueuePrefix } from '../support/temp-dir';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Outgoing webhooks (issue 16), the real API and worker: events become deliveries through the outbox, each
 * sent once per event and endpoint, signed (json) or as a Slack message, with ids and redacted titles only.
 */
describe('webhooks', () => {
  const adminKey = generateApiKey();
  let stack: RunningStack;
  let receiver: WebhookReceiver;
  let servicenow: FakeServiceNow;
  let json: { id: string; secret: string };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().listen();
    servicenow = await FakeServiceNow.start({ username: 'svc', password: 'sn-pass-93' });
    const shared = {
      TFTSR_TEST_INTEGRATION_ORIGINS: [receiver.origin, servicenow.origin].join(','),
      TFTSR_QUEUE_PREFIX: uniqueQueuePrefix('webhooks'),
    };
    stack = await startStack('webhooks', adminKey, shared, {
      ...shared,
      TFTSR_PUBLISH_BACKOFF_MS: '100',
      TFTSR_PUBLISH_BACKOFF_MAX_MS: '400',
      TFTSR_PUBLISH_TIMEOUT_MS: '2000',
      TFTSR_PUBLISH_COMMIT_WINDOW_MS: '4000',
    });
    expect((await call('PUT', '/v1/integrations/servicenow/config', { base_url: servicenow.baseUrl, username: 'svc' })).status).toBe(200);
    expect((await call('PUT', '/v1/integrations/servicenow/credential', { secret: 'sn-pass-93' })).status).toBe(200);
    const created = await call('POST', '/v1/webhooks', {
      name: 'ops',
      url: `${receiver.origin}/hooks`,
      format: 'json',
      events: ['file.ready', 'publication.done', 'publication.failed', 'issue.critical_created'],
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    json = created.body;
    receiver.expectSignedWith('/hooks', json.secret);
    expect(
      (
        await call('POST', '/v1/webhooks', {
          name: 'slack',
          url: `${receiver.origin}/slack`,
          format: 'slack',
          events: ['issue.critical_created'],
        })
      ).status,
    ).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([receiver?.close(), servicenow?.close()]);
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${stack.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  const eventsOf = (path: string, type: string, match: (data: any) => boolean) =>
    receiver.accepted(path).filter((r) => (path === '/slack' ? r.json.text.includes(type) : r.json.type === type && match(r.json.data)));
  const settle = (check: () => boolean) =>
    waitFor(
      async () => check() || undefined,
      30_000,
      () => stack.worker.output().slice(-3000),
    );

  it('a critical issue: a signed JSON event and a Slack message, the title redacted, exactly once each although the first try failed', async () => {
    receiver.failNext('/hooks', 500);
    const created = await call('POST', '/v1/issues', { title: 'Payments down, ask ops@example.com', severity: 'critical' });
    expect(created.status).toBe(201);
    const issueId = created.body.id;
    await settle(
      () =>
        eventsOf('/hooks', 'issue.critical_created', (d) => d.issue_id === issueId).length === 1 &&
        eventsOf('/slack', 'issue.critical_created', () => true).length >= 1,
    );
    const attempts = receiver.received.filter((r) => r.path === '/hooks' && r.json?.data?.issue_id === issueId);
    expect(attempts.map((r) => r.status)).toEqual([500, 200]);
    expect(attempts.every((r) => r.signature === 'valid')).toBe(true);
    expect(new Set(attempts.map((r) => r.json.id)).size).toBe(1);
    const event = attempts[1].json;
    expect(event).toEqual({
      id: expect.any(String),
      type: 'issue.critical_created',
      created_at: expect.any(String),
      data: { issue_id: issueId, issue_title: expect.any(String) },
    });
    expect(JSON.stringify(receiver.received)).not.toContain('ops@example.com');
    const slack = receiver.accepted('/slack').find((r) => r.json.text.includes(issueId))!;
    expect(slack.headers['tftsr-signature']).toBeUndefined();
    expect(slack.json.text).not.toContain('ops@example.com');
  });

  it('a log file ready, a publication done and a publication failed, each once', async () => {
    const issue = await call('POST', '/v1/issues', { title: 'Checkout latency', severity: 'high' });
    const upload = await call(
      'POST',
      `/v1/issues/${issue.body.id}/log-files?file_name=app.log`,
      'INFO all good\nERROR disk full\n',
      'text/plain',
    );
    expect(upload.status).toBe(202);
    const fileId = upload.body.id;
    const doc = await call('POST', `/v1/issues/${issue.body.id}/documents`, { doc_type: 'rca' });
    expect((await call('POST', `/v1/documents/${doc.body.id}/publish`, { service: 'servicenow' })).status).toBe(202);
    const other = await call('POST', `/v1/issues/${issue.body.id}/documents`, { doc_type: 'postmortem' });
    servicenow.failNext('update', { status: 403 });
    expect((await call('POST', `/v1/documents/${other.body.id}/publish`, { service: 'servicenow' })).status).toBe(202);
    await settle(
      () =>
        eventsOf('/hooks', 'file.ready', (d) => d.log_file_id === fileId).length === 1 &&
        eventsOf('/hooks', 'publication.done', (d) => d.document_id === doc.body.id).length === 1 &&
        eventsOf('/hooks', 'publication.failed', (d) => d.document_id === other.body.id).length === 1,
    );
    const done = eventsOf('/hooks', 'publication.done', (d) => d.document_id === doc.body.id)[0].json;
    expect(Object.keys(done.data).sort()).toEqual(['document_id', 'issue_id', 'issue_title', 'publication_id', 'remote_id', 'service']);
    expect(receiver.received.filter((r) => r.path === '/hooks').every((r) => r.signature === 'valid')).toBe(true);
    // A delivery is marked delivered in the commit after the receiver answered: wait for the states, then check them.
    let states: string[] = [];
    await waitFor(
      async () => {
        const deliveries = await call('GET', `/v1/webhooks/${json.id}/deliveries`);
        states = (deliveries.body.items as { state: string }[]).map((d) => d.state);
        return states.every((state) => state === 'delivered' || state === 'failed') || undefined;
      },
      30_000,
      () => `delivery states: ${states.join(', ')}`,
    );
    expect(states.every((state) => state === 'delivered')).toBe(true);
  });

  it('never returns a secret, and refuses internal URLs and unknown endpoints with stable codes', async () => {
    const list = await call('GET', '/v1/webhooks');
    expect(JSON.stringify(list.body)).not.toContain(json.secret);
    expect(list.body.items.map((w: { format: string }) => w.format).sort()).toEqual(['json', 'slack']);
    for (const url of ['http://10.0.0.1/hook', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://hooks.example.com:8080/x']) {
      const refused = await call('POST', '/v1/webhooks', { name: 'x', url, format: 'json', events: ['file.ready'] });
      expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
    }
    const slackElsewhere = await call('POST', '/v1/webhooks', {
      name: 'x',
      url: 'https://hooks.example.com/services/x',
      format: 'slack',
      events: ['file.ready'],
    });
    expect(slackElsewhere.body.error.code).toBe('INVALID_WEBHOOK_URL');
    const missing = await call('GET', '/v1/webhooks/00000000-0000-0000-0000-000000000000/deliveries');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'WEBHOOK_NOT_FOUND']);
    expect((await call('DELETE', '/v1/webhooks/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});

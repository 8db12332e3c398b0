import { UnrecoverableError } from 'bullmq';
import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { deriveKey, newId, openAndMigrate, transaction, WebhookRepository } from '@tftsr/db';
import { loadConfig } from '@tftsr/config';
import { sealWebhookSecret } from '@tftsr/integrations';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { RetryLater } from '@tftsr/worker/publish/retry-later';
import type { WebhookDeliveryService } from '@tftsr/worker/webhooks/webhook-delivery.service';
import { webhookDeliveryFor } from '../support/worker-parts';
import { jobOf } from '../support/ingest-rig';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';
import { WebhookReceiver } from '../support/webhook-receiver';

const quiet = { log: () => undefined, warn: () => undefined };

/**
 * The deliver_webhook job over a real encrypted database and a real HTTP receiver that checks signatures. Not
 * here: BullMQ (a plain object stands in for the job) and the API (rows are written as it writes them).
 */
describe('deliver_webhook job', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let receiver: WebhookReceiver;
  let sut: WebhookDeliveryService;
  let webhooks: WebhookRepository;
  const key = deriveKey(TEST_KEY, 'webhook-encryption');

  beforeEach(async () => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY }, quiet);
    receiver = await new WebhookReceiver().listen();
    const config = loadConfig(WorkerConfig, {
      NODE_ENV: 'test',
      TFTSR_DB_KEY: TEST_KEY,
      TFTSR_DATA_DIR: temp.dir,
      TFTSR_TEST_INTEGRATION_ORIGINS: receiver.origin,
      TFTSR_PUBLISH_TIMEOUT_MS: '2000',
    });
    sut = webhookDeliveryFor(db, config);
    webhooks = new WebhookRepository(db);
  });
  afterEach(async () => {
    await sut.onApplicationShutdown();
    await receiver.close();
    db.close();
    temp.remove();
  });

  /** A json endpoint and one `issue.critical_created` event for an issue whose title holds an e-mail address. */
  function eventFor(url = `${receiver.origin}/hooks`): { outbox_id: string; delivery_id: string } {
    const id = newId();
    const secret = 'whsec_medium';
    receiver.expectSignedWith('/hooks', secret);
    return transaction(db, () => {
      webhooks.createEndpoint({
        id,
        name: 'ops',
        format: 'json',
        display_url: url,
        encrypted_url: sealWebhookSecret(url, id, key),
        encrypted_secret: sealWebhookSecret(secret, id, key),
        events: '["issue.critical_created"]',
        created_by: 'k',
      });
      const issueId = newId();
      db.prepare(
        `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 'Down, mail ops@example.com', 'critical', 'open', '2026-12-06 00:00:00', '2026-12-06 00:00:00')`,
      ).run(issueId);
      expect(webhooks.emit('issue.critical_created', { issue_id: issueId })).toBe(1);
      const row = db.prepare(`SELECT id, payload FROM outbox WHERE job_name = 'deliver_webhook'`).get() as { id: string; payload: string };
      return JSON.parse(row.payload) as { outbox_id: string; delivery_id: string };
    });
  }

  it('run twice, sends once: the delivery turns delivered with its outbox row, signed, title redacted', async () => {
    const payload = eventFor();
    expect(await sut.handle(jobOf(payload))).toEqual({ status: 200 });
    expect(await sut.handle(jobOf(payload))).toMatchObject({ skipped: true });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].signature).toBe('valid');
    expect(receiver.received[0].body).not.toContain('ops@example.com');
    expect(webhooks.getDelivery(payload.delivery_id)).toMatchObject({ state: 'delivered', attempts: 1, last_status: 200 });
    expect(db.prepare(`SELECT state FROM outbox WHERE id = ?`).get(payload.outbox_id)).toEqual({ state: 'done' });
  });

  it('retries a 500 with backoff, and fails for good on the last attempt with the reason', async () => {
    const payload = eventFor();
    receiver.failNext('/hooks', 500);
    await expect(sut.handle(jobOf(payload, 0))).rejects.toBeInstanceOf(RetryLater);
    expect(webhooks.getDelivery(payload.delivery_id)).toMatchObject({ state: 'pending', attempts: 1, last_status: 500 });
    receiver.failNext('/hooks', 503);
    await expect(sut.handle(jobOf(payload, 4))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(webhooks.getDelivery(payload.delivery_id)).toMatchObject({ state: 'failed', last_status: 503 });
    expect(db.prepare(`SELECT state FROM outbox WHERE id = ?`).get(payload.outbox_id)).toEqual({ state: 'failed' });
  });

  it('refuses at send time a URL that is no longer allowed (an internal address), without connecting', async () => {
    const payload = eventFor('https://10.0.0.1/hooks');
    await expect(sut.handle(jobOf(payload))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(webhooks.getDelivery(payload.delivery_id)).toMatchObject({
      state: 'failed',
      last_error: expect.stringContaining('not allowed'),
    });
    expect(receiver.received).toHaveLength(0);
  });
});

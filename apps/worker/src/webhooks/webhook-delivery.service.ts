import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Job } from 'bullmq';
import {
  AuditLogRepository,
  deriveKey,
  GroupCommit,
  IssueRepository,
  LogFileIngestRepository,
  SettingRepository,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookRepository,
} from '@tftsr/db';
import {
  checkWebhookUrl,
  IntegrationHttp,
  openWebhookSecret,
  parseRetryAfter,
  SIGNATURE_HEADER,
  signWebhook,
  slackBody,
  WebhookEvent,
  WebhookPayload,
} from '@tftsr/integrations';
import { JobPayloads } from '@tftsr/jobs';
import { readPiiConfig, redactBuffer, scanBuffer } from '@tftsr/pii';
import { WorkerConfig } from '../config/worker.config';
import { OutboxJobGuard, Skipped } from '../outbox-job';
import { settleOutgoingFailure } from '../publish/retry-later';

type DeliverJob = Job<JobPayloads['deliver_webhook'], unknown, 'deliver_webhook'>;

/** Derived from the database key, like the integration credentials' key, with its own label. */
export const WEBHOOK_KEY_LABEL = 'webhook-encryption';

/**
 * Sends one webhook delivery: the event's ids and the issue's title, redacted with the PII settings in force,
 * as our signed JSON or as a Slack message. The URL passes the integrations' SSRF guard again at send time, and
 * the connection goes through the same guarded agent (no redirects, every address checked). Delivered once per
 * event and endpoint: the delivery turns `delivered` with its outbox row; receivers dedupe on the event id.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDelivery');
  private readonly key: Buffer;
  private readonly http = new IntegrationHttp();

  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly config: WorkerConfig,
    private readonly guard: OutboxJobGuard,
    private readonly webhooks: WebhookRepository,
    private readonly files: LogFileIngestRepository,
    private readonly issues: IssueRepository,
    private readonly settings: SettingRepository,
  ) {
    this.key = deriveKey(config.databaseKey, WEBHOOK_KEY_LABEL);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }

  async handle(job: DeliverJob): Promise<{ status: number } | Skipped> {
    const { outbox_id, delivery_id } = job.data;
    if (this.guard.isDone(outbox_id)) return { skipped: true, reason: 'already done' };
    const delivery = this.webhooks.getDelivery(delivery_id);
    const endpoint = delivery ? this.webhooks.getEndpoint(delivery.endpoint_id) : undefined;
    if (!delivery || !endpoint || delivery.state !== 'pending') {
      await this.guard.finish(outbox_id, () => undefined);
      return { skipped: true, reason: 'the delivery or its endpoint no longer exists, or it was settled' };
    }
    let status: number | null = null;
    try {
      status = await this.send(delivery, endpoint);
      if (status >= 200 && status < 300) {
        const done = await this.guard.finish(outbox_id, () => {
          this.webhooks.markDelivered(delivery.id, status!);
          this.audit.append({
            action: 'deliver_webhook',
            entity_type: 'webhook_endpoint',
            entity_id: endpoint.id,
            details: { delivery_id: delivery.id, event_id: delivery.event_id, event_type: delivery.event_type, status },
          });
        });
        return done === null ? { skipped: true, reason: 'another run finished this job' } : { status };
      }
      throw new DeliveryError(`the endpoint answered ${status}`, status, status >= 500 || status === 429 || status === 408);
    } catch (err) {
      throw await this.onFailure(job, delivery, endpoint, err as Error);
    }
  }

  private async send(delivery: WebhookDelivery, endpoint: WebhookEndpoint): Promise<number> {
    const rawUrl = openWebhookSecret(endpoint.encrypted_url, endpoint.id, this.key);
    if (rawUrl === null) throw new DeliveryError('the stored endpoint URL does not decrypt', null, false);
    const policy = { extraHosts: [], testOrigins: this.config.testIntegrationOrigins };
    const url = checkWebhookUrl(rawUrl, endpoint.format, policy);
    if (!url.ok) throw new DeliveryError(`the endpoint URL is not allowed: ${url.reason}`, null, false);
    const payload = this.payload(delivery);
    const body = JSON.stringify(endpoint.format === 'slack' ? slackBody(payload) : payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'TFTSR-Webhooks/1',
      'tftsr-event-id': payload.id,
      'tftsr-event-type': payload.type,
      'tftsr-delivery-id': delivery.id,
    };
    if (endpoint.format === 'json') {
      const secret = endpoint.encrypted_secret ? openWebhookSecret(endpoint.encrypted_secret, endpoint.id, this.key) : null;
      if (secret === null) throw new DeliveryError('the stored signing secret does not decrypt', null, false);
      headers[SIGNATURE_HEADER] = signWebhook(secret, body);
    }
    let response;
    try {
      response = await this.http.fetch(url.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.config.TFTSR_PUBLISH_TIMEOUT_MS),
      });
    } catch (err) {
      throw new DeliveryError(`no answer from the endpoint (${(err as Error).name})`, null, true);
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 429 || response.status === 503) {
      const after = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      if (after !== undefined) throw new DeliveryError(`the endpoint answered ${response.status}`, response.status, true, after);
    }
    return response.status;
  }

  /** Ids, and the issue's title redacted with the PII settings in force: never content. */
  private payload(delivery: WebhookDelivery): WebhookPayload {
    const data = JSON.parse(delivery.data) as Record<string, string | null>;
    if (data.log_file_id && !data.issue_id) {
      data.issue_id = this.files.issueIdOf(data.log_file_id);
    }
    const issue = data.issue_id ? this.issues.findById(data.issue_id) : undefined;
    const config = readPiiConfig(this.settings);
    const redactedTitle = issue
      ? redactBuffer(Buffer.from(issue.title, 'utf8'), scanBuffer(Buffer.from(issue.title, 'utf8'), config)).toString('utf8')
      : null;
    return {
      id: delivery.event_id,
      type: delivery.event_type as WebhookEvent,
      created_at: new Date(delivery.created_at).toISOString(),
      data: { ...data, issue_title: redactedTitle },
    };
  }

  private async onFailure(job: DeliverJob, delivery: WebhookDelivery, endpoint: WebhookEndpoint, err: Error): Promise<Error> {
    const status = err instanceof DeliveryError ? err.status : null;
    return settleOutgoingFailure(job, err, this.config.publishBackoff, {
      retryable: err instanceof DeliveryError ? err.retryable : true,
      retryAfterMs: err instanceof DeliveryError ? err.retryAfterMs : undefined,
      retry: async (delayMs) => {
        await this.group.run(() => this.webhooks.markAttempt(delivery.id, status, err.message));
        const what = `webhook delivery ${delivery.id} to endpoint ${endpoint.id}`;
        this.logger.warn(`${what}: attempt ${job.attemptsMade + 1} failed (${err.message}); retrying in ${delayMs} ms`);
      },
      giveUp: async () => {
        await this.guard.fail(job.data.outbox_id, err.message, () => {
          this.webhooks.markFailed(delivery.id, status, err.message);
          this.audit.append({
            action: 'deliver_webhook_failed',
            entity_type: 'webhook_endpoint',
            entity_id: endpoint.id,
            details: {
              delivery_id: delivery.id,
              event_id: delivery.event_id,
              event_type: delivery.event_type,
              status,
              reason: err.message,
            },
          });
        });
        this.logger.warn(`webhook delivery ${delivery.id} to endpoint ${endpoint.id} failed: ${err.message}`);
        return err.message;
      },
    });
  }
}

class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

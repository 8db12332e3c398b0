import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AuditLogRepository, GroupCommit, Publication, PublicationRepository, RemoteRef, WebhookRepository } from '@tftsr/db';
import {
  createPublisher,
  IntegrationHttp,
  PublishContent,
  PublishError,
  PublishErrorKind,
  Publisher,
  PublishTarget,
  RemoteObject,
} from '@tftsr/integrations';
import { JobPayloads } from '@tftsr/jobs';
import { WorkerConfig } from '../config/worker.config';
import { OutboxJobGuard, Skipped } from '../outbox-job';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { QueueProcessor } from '../processor';
import { WebhookDeliveryService } from '../webhooks/webhook-delivery.service';
import { sentHash } from './pii-gate';
import { Placement, placePublication } from './placement';
import { Prepared, PublishPreparer, PublishRefused } from './publish-preparer';
import { RetryLater, settleOutgoingFailure } from './retry-later';

export { RetryLater } from './retry-later';

type PublishJob = Job<JobPayloads['publish'], unknown, 'publish'>;

export interface PublishResult {
  remote_id: string;
  remote_url: string;
  /** `attached`: added to the issue's incident or work item, which another publication owns. */
  operation: 'created' | 'updated' | 'attached';
}

/** An earlier publication of the issue is creating the incident or work item this one must join: retried later. */
class WaitForOwner extends Error {}

/**
 * The `publish` queue. One publication owns at most one remote object: its id is stored the moment the
 * remote answers, and every attempt searches (by that id, or by the publication's marker) before it
 * creates. Nothing is sent before the URL, the credential and the PII gate have passed.
 */
@Injectable()
export class PublishProcessor implements QueueProcessor, OnApplicationShutdown {
  readonly queue = 'publish' as const;
  readonly handlers = {
    publish: (job: PublishJob) => this.handle(job),
    // Webhook deliveries share the queue of outgoing calls: the same backoff, the same guarded agent.
    deliver_webhook: (job: Job<JobPayloads['deliver_webhook'], unknown, 'deliver_webhook'>) => this.webhookDelivery.handle(job),
  };
  /** Retry-After, or exponential backoff with jitter: the delay travels on the error (see RetryLater). */
  readonly backoffStrategy = (_attempts: number, _type?: string, err?: Error): number =>
    err instanceof RetryLater ? err.delayMs : this.config.TFTSR_PUBLISH_BACKOFF_MS;

  private readonly logger = new Logger('PublishProcessor');
  private readonly http = new IntegrationHttp();

  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly config: WorkerConfig,
    private readonly webhookDelivery: WebhookDeliveryService,
    private readonly preparer: PublishPreparer,
    private readonly guard: OutboxJobGuard,
    private readonly publications: PublicationRepository,
    private readonly webhooks: WebhookRepository,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }

  async handle(job: PublishJob): Promise<PublishResult | Skipped> {
    const { outbox_id, publication_id } = job.data;
    if (this.guard.isDone(outbox_id)) return { skipped: true, reason: 'already done' };
    const publication = this.publications.get(publication_id);
    if (!publication) {
      await this.guard.finish(outbox_id, () => undefined);
      return { skipped: true, reason: 'the publication no longer exists' };
    }
    try {
      const prepared = this.preparer.preparePublication(publication);
      return await this.send(outbox_id, publication, prepared);
    } catch (err) {
      throw await this.onFailure(job, publication, err as Error);
    }
  }

  /**
   * The reconciler's pass: failed publications whose create may have committed after all (it timed out or
   * dropped, and the retries ran out) are searched for on the remote side; what the search finds is recorded,
   * so the object is updated, not duplicated, by the next request. Doubts older than a day are dropped.
   */
  async reconcileFailed(now = Date.now()): Promise<{ checked: number; found: number }> {
    const due = this.publications.listFailedInDoubt(now - this.config.TFTSR_PUBLISH_RECONCILE_INTERVAL_MS, 20);
    let found = 0;
    for (const publication of due) {
      try {
        const prepared = this.preparer.preparePublication(publication);
        const target = this.preparer.placedTarget(publication, prepared.target, { kind: 'own' });
        const publisher = createPublisher(
          target.service,
          this.http,
          { username: target.username, secret: prepared.secret },
          { timeoutMs: this.config.TFTSR_PUBLISH_TIMEOUT_MS },
        );
        const remote = await publisher.find(target, prepared.content, null);
        if (remote) {
          await this.recordRemote(publication, remote, 'reconciled');
          found += 1;
        }
        const settled = remote !== null || now - (publication.create_sent_at ?? now) > RECONCILE_HORIZON_MS;
        await this.group.run(() => this.publications.markRemoteChecked(publication.id, settled, now));
      } catch (err) {
        await this.group.run(() => this.publications.markRemoteChecked(publication.id, false, now));
        this.logger.warn(`reconciling publication ${publication.id} on ${publication.service}: ${(err as Error).message}`);
      }
    }
    return { checked: due.length, found };
  }

  private async send(outboxId: string, publication: Publication, prepared: Prepared): Promise<PublishResult | Skipped> {
    const { content } = prepared;
    const placement = placePublication(
      publication,
      this.publications.listForIssue(publication.issue_id),
      this.preparer.existingObjectPolicy(),
    );
    if (placement.kind === 'wait') throw new WaitForOwner(placement.reason);
    const target = this.preparer.placedTarget(publication, prepared.target, placement);
    const publisher = createPublisher(
      target.service,
      this.http,
      { username: target.username, secret: prepared.secret },
      { timeoutMs: this.config.TFTSR_PUBLISH_TIMEOUT_MS },
    );
    let remote: RemoteObject;
    let operation: PublishResult['operation'];
    let existing: RemoteObject | null = null;
    if (placement.kind === 'own') {
      existing = await publisher.find(target, content, publication.remote_id);
      if (!existing && publication.create_sent_at !== null)
        existing = await this.awaitLateCommit(publisher, target, content, publication.create_sent_at);
    }
    if (placement.kind === 'attach') {
      remote = await this.attachTo(publisher, publication, target, content, placement);
      operation = 'attached';
    } else if (existing) {
      if (existing.id !== publication.remote_id) await this.recordRemote(publication, existing, 'found');
      remote = await publisher.update(target, content, existing);
      operation = 'updated';
    } else {
      remote = await this.createOnce(publisher, publication, target, content);
      operation = 'created';
    }
    const sha = sentHash(content.title, content.markdown);
    const ref = toRef(remote);
    const done = await this.guard.finish(outboxId, () => {
      this.publications.markPublished(publication.id, ref, sha, prepared.redaction !== null);
      this.webhooks.emit('publication.done', {
        publication_id: publication.id,
        issue_id: publication.issue_id,
        document_id: publication.document_id,
        service: target.service,
        remote_id: ref.remote_id,
      });
      this.audit.append({
        action: `publish_to_${target.service}`,
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: {
          issue_id: publication.issue_id,
          document_id: publication.document_id,
          operation,
          ...(placement.kind === 'attach' ? { attached_to: placement.owner.id } : {}),
          remote_id: ref.remote_id,
          remote_display_id: ref.remote_display_id,
          sent_sha256: sha,
          ...(prepared.redaction
            ? { redacted_by_gate: true, redacted_types: prepared.redaction.types, redacted_findings: prepared.redaction.findings }
            : {}),
        },
      });
    });
    if (done === null) return { skipped: true, reason: 'another run finished this job' };
    this.metrics?.publishResults.inc({ service: target.service, outcome: operation });
    this.logger.log(`publication ${publication.id} ${operation} on ${target.service} as ${ref.remote_display_id ?? ref.remote_id}`);
    return { remote_id: ref.remote_id, remote_url: ref.remote_url, operation };
  }

  /** Writes the document into the issue's incident or work item, which another publication owns. */
  private async attachTo(
    publisher: Publisher,
    publication: Publication,
    target: PublishTarget,
    content: PublishContent,
    placement: Extract<Placement, { kind: 'attach' }>,
  ): Promise<RemoteObject> {
    if (!publisher.attach) throw new PublishRefused(`${target.service} has no way to add a document to an existing object`);
    const owner = placement.owner;
    if (publication.attached_to !== owner.id) {
      await this.group.run(() => {
        this.publications.attach(publication.id, owner.id);
        this.audit.append({
          action: 'attach_publication',
          entity_type: 'publication',
          entity_id: publication.id,
          user_id: publication.requested_by,
          details: { service: publication.service, owner_publication_id: owner.id, remote_id: owner.remote_id },
        });
      });
    }
    const ownerRemote: RemoteObject = {
      id: owner.remote_id!,
      url: owner.remote_url ?? '',
      displayId: owner.remote_display_id ?? undefined,
    };
    return publisher.attach(target, content, ownerRemote, placement.mode);
  }

  /**
   * A create whose answer never came (timeout, dropped connection, crash) may still commit later: ServiceNow and
   * Azure DevOps have committed 6 s after a request the client gave up on at 3 s. Searches go on until the commit
   * window, counted from when that create was sent, has passed; only then may a second create go out.
   */
  private async awaitLateCommit(
    publisher: Publisher,
    target: PublishTarget,
    content: PublishContent,
    sentAt: number,
  ): Promise<RemoteObject | null> {
    const deadline = sentAt + this.config.TFTSR_PUBLISH_COMMIT_WINDOW_MS;
    const pollMs = Math.max(100, Math.min(this.config.TFTSR_PUBLISH_TIMEOUT_MS, 5000));
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, deadline - Date.now())));
      const found = await publisher.find(target, content, null);
      if (found) return found;
    }
    return null;
  }

  /** Marks the create as sent (committed first, so a crash mid-call leaves the doubt on record), then sends it. */
  private async createOnce(
    publisher: Publisher,
    publication: Publication,
    target: PublishTarget,
    content: PublishContent,
  ): Promise<RemoteObject> {
    await this.group.run(() => {
      this.publications.markCreateSent(publication.id, Date.now());
      this.audit.append({
        action: 'send_remote_create',
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: { service: publication.service },
      });
    });
    let remote: RemoteObject;
    try {
      remote = await publisher.create(target, content);
    } catch (err) {
      // Only an answer that says the create was refused settles it; a timeout, a drop or a 5xx may still commit.
      if (err instanceof PublishError && CREATE_REFUSED.has(err.kind))
        await this.group.run(() => this.publications.markCreateSent(publication.id, null));
      throw err;
    }
    await this.recordRemote(publication, remote, 'created');
    return remote;
  }

  /** The remote id, committed on its own at once: a crash after this point finds the object by id. */
  private async recordRemote(publication: Publication, remote: RemoteObject, how: 'created' | 'found' | 'reconciled'): Promise<void> {
    const ref = toRef(remote);
    await this.group.run(() => {
      this.publications.recordRemote(publication.id, ref);
      this.audit.append({
        action: 'record_remote_object',
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: { service: publication.service, remote_id: ref.remote_id, remote_display_id: ref.remote_display_id, how },
      });
    });
  }

  /** Records the failure and returns what to throw: an UnrecoverableError, or a RetryLater carrying its delay. */
  private async onFailure(job: PublishJob, publication: Publication, err: Error): Promise<Error> {
    const { outbox_id } = job.data;
    const retryable = err instanceof PublishError ? err.retryable : !(err instanceof PublishRefused);
    const reason = err.message;
    return settleOutgoingFailure(job, err, this.config.publishBackoff, {
      retryable,
      retryAfterMs: err instanceof PublishError ? err.retryAfterMs : undefined,
      retry: async (delayMs) => {
        await this.group.run(() => {
          this.publications.markRetrying(publication.id, reason, Date.now() + delayMs);
          this.audit.append({
            action: 'publish_attempt_failed',
            entity_type: 'publication',
            entity_id: publication.id,
            user_id: publication.requested_by,
            details: {
              service: publication.service,
              attempt: job.attemptsMade + 1,
              reason,
              retry_in_ms: delayMs,
              ...(err instanceof PublishError ? { kind: err.kind, status: err.status } : {}),
            },
          });
        });
        this.metrics?.publishResults.inc({ service: publication.service, outcome: 'retrying' });
        const what = `publication ${publication.id} to ${publication.service}`;
        this.logger.warn(`${what}: attempt ${job.attemptsMade + 1} failed (${reason}); retrying in ${delayMs} ms`);
      },
      giveUp: async () => {
        const final = retryable ? `gave up after ${job.attemptsMade + 1} attempts: ${reason}` : reason;
        const findings = err instanceof PublishRefused ? err.findings : null;
        await this.guard.fail(outbox_id, final, () => {
          this.publications.markFailed(publication.id, final, findings);
          this.webhooks.emit('publication.failed', {
            publication_id: publication.id,
            issue_id: publication.issue_id,
            document_id: publication.document_id,
            service: publication.service,
          });
          this.audit.append({
            action: `publish_to_${publication.service}_failed`,
            entity_type: 'publication',
            entity_id: publication.id,
            user_id: publication.requested_by,
            details: {
              issue_id: publication.issue_id,
              document_id: publication.document_id,
              reason: final,
              ...(findings ? { pii_types: [...new Set(findings.map((f) => f.pii_type))] } : {}),
            },
          });
        });
        this.metrics?.publishResults.inc({ service: publication.service, outcome: findings ? 'blocked_by_pii_gate' : 'failed' });
        this.logger.warn(`publication ${publication.id} to ${publication.service} failed: ${final}`);
        return final;
      },
    });
  }
}

/** How long after a create in doubt the reconciler keeps looking for it. */
const RECONCILE_HORIZON_MS = 24 * 3600 * 1000;

/** Failures that prove a create did not happen; every other one leaves it in doubt (see awaitLateCommit). */
const CREATE_REFUSED: ReadonlySet<PublishErrorKind> = new Set([
  'rate_limited',
  'unavailable',
  'bad_request',
  'auth',
  'forbidden',
  'not_found',
  'conflict',
  'foreign_object',
  'dns',
  'tls',
  'blocked',
]);

function toRef(remote: RemoteObject): RemoteRef {
  return { remote_id: remote.id, remote_url: remote.url, remote_display_id: remote.displayId ?? null, remote_table: remote.table ?? null };
}

import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import {
  AuditLogRepository,
  CredentialRepository,
  Db,
  DB,
  deriveKey,
  DocumentRepository,
  IntegrationConfigRepository,
  IssueRepository,
  Publication,
  PublicationRepository,
  RemoteRef,
  transaction,
} from '../../../../libs/db/src';
import {
  checkTargetUrl,
  createPublisher,
  credentialExpired,
  CredentialIntegrityError,
  decryptCredential,
  IntegrationHttp,
  PublishContent,
  PublishError,
  PublishOptions,
  PublishTarget,
  RemoteObject,
} from '../../../../libs/integrations/src';
import { JobPayloads } from '../../../../libs/jobs/src';
import { WorkerConfig } from '../config/worker.config';
import { OutboxJobGuard, Skipped } from '../outbox-job';
import { readPiiConfig } from '../pii-settings';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { QueueProcessor } from '../processor';
import { GateFinding, GateMode, piiGate, sentHash } from './pii-gate';
import { readSetting } from './worker-settings';

type PublishJob = Job<JobPayloads['publish'], unknown, 'publish'>;

/** A failure that retrying cannot fix: it ends the publication as failed, with its reason. */
class PublishRefused extends Error {
  constructor(
    message: string,
    readonly findings: GateFinding[] | null = null,
  ) {
    super(message);
  }
}

/** A failure worth another attempt, after `delayMs` (from Retry-After, or the backoff). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

interface Prepared {
  target: PublishTarget;
  content: PublishContent;
  secret: string;
  redaction: { types: string[]; findings: number } | null;
}

export interface PublishResult {
  remote_id: string;
  remote_url: string;
  operation: 'created' | 'updated';
}

/**
 * The `publish` queue. One publication owns at most one remote object: its id is stored the moment the
 * remote answers, and every attempt searches (by that id, or by the publication's marker) before it
 * creates. Nothing is sent before the URL, the credential and the PII gate have passed.
 */
@Injectable()
export class PublishProcessor implements QueueProcessor, OnApplicationShutdown {
  readonly queue = 'publish' as const;
  readonly handlers = { publish: (job: PublishJob) => this.handle(job) };
  /** Retry-After, or exponential backoff with jitter: the delay travels on the error (see RetryLater). */
  readonly backoffStrategy = (_attempts: number, _type?: string, err?: Error): number => (err instanceof RetryLater ? err.delayMs : this.config.TFTSR_PUBLISH_BACKOFF_MS);

  private readonly logger = new Logger('PublishProcessor');
  private readonly guard: OutboxJobGuard;
  private readonly publications: PublicationRepository;
  private readonly documents: DocumentRepository;
  private readonly issues: IssueRepository;
  private readonly configs: IntegrationConfigRepository;
  private readonly credentials: CredentialRepository;
  private readonly credentialKey: Buffer;
  private readonly http = new IntegrationHttp();

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly config: WorkerConfig,
    @Optional() private readonly metrics?: WorkerMetrics,
  ) {
    this.guard = new OutboxJobGuard(db);
    this.publications = new PublicationRepository(db);
    this.documents = new DocumentRepository(db);
    this.issues = new IssueRepository(db);
    this.configs = new IntegrationConfigRepository(db);
    this.credentials = new CredentialRepository(db);
    this.credentialKey = deriveKey(config.databaseKey, 'credential-encryption');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }

  async handle(job: PublishJob): Promise<PublishResult | Skipped> {
    const { outbox_id, publication_id } = job.data;
    if (this.guard.isDone(outbox_id)) return { skipped: true, reason: 'already done' };
    const publication = this.publications.get(publication_id);
    if (!publication) {
      this.guard.finish(outbox_id, () => undefined);
      return { skipped: true, reason: 'the publication no longer exists' };
    }
    try {
      const prepared = this.prepare(publication);
      return await this.send(outbox_id, publication, prepared);
    } catch (err) {
      throw this.onFailure(job, publication, err as Error);
    }
  }

  /** Everything that can refuse without a connection: the source, the URL, the credential, the PII gate. */
  private prepare(publication: Publication): Prepared {
    const { service } = publication;
    const issue = this.issues.findById(publication.issue_id);
    if (!issue) throw new PublishRefused('the issue no longer exists');
    const doc = publication.document_id === null ? null : this.documents.get(publication.document_id);
    if (publication.document_id !== null && !doc) throw new PublishRefused('the document no longer exists');
    const config = this.configs.get(service);
    if (!config) throw new PublishRefused(`${service} is not configured`);
    const policy = { extraHosts: readSetting<string[]>(this.db, 'integrations.allowed_hosts', []), testOrigins: this.config.testIntegrationOrigins };
    const url = checkTargetUrl(config.base_url, service, policy);
    if (!url.ok) throw new PublishRefused(`the ${service} base URL is not allowed: ${url.reason}`);
    const credential = this.credentials.get(service);
    if (!credential) throw new PublishRefused(`no ${service} credential is stored`);
    if (credentialExpired(credential.expires_at)) throw new PublishRefused(`the ${service} credential expired at ${credential.expires_at} UTC`);
    let secret: string;
    try {
      secret = decryptCredential(credential.encrypted_token, service, this.credentialKey);
    } catch (err) {
      if (err instanceof CredentialIntegrityError) throw new PublishRefused(err.message);
      throw err;
    }

    const title = doc ? doc.title : issue.title;
    const markdown = doc ? doc.content_md : incidentBody(issue.id, issue.severity, issue.description);
    const mode = readSetting<GateMode>(this.db, 'publishing.pii_gate', 'block') === 'redact' ? 'redact' : 'block';
    const options = JSON.parse(publication.options) as PublishOptions;
    const optionFields = Object.fromEntries(Object.entries(options).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const gate = piiGate(title, markdown, readPiiConfig(this.db), mode, { severity: issue.severity, ...optionFields });
    if (gate.verdict === 'blocked') {
      const listed = gate.findings.map((f) => `${f.pii_type} in ${f.field} at ${f.start}-${f.end} (${f.masked})`).join('; ');
      throw new PublishRefused(`the PII gate found ${gate.types.join(', ')}; nothing was sent. Redact or edit the document, or set publishing.pii_gate to redact. Found: ${listed}`, gate.findings);
    }
    const content: PublishContent = { publicationId: publication.id, title: gate.title, markdown: gate.markdown, html: gate.html, severity: issue.severity };
    const target: PublishTarget = {
      service,
      baseUrl: url.url,
      username: config.username,
      projectName: config.project_name,
      spaceKey: config.space_key,
      options,
    };
    return { target, content, secret, redaction: gate.verdict === 'redacted' ? { types: gate.types, findings: gate.findings } : null };
  }

  private async send(outboxId: string, publication: Publication, prepared: Prepared): Promise<PublishResult | Skipped> {
    const { target, content } = prepared;
    const publisher = createPublisher(target.service, this.http, { username: target.username, secret: prepared.secret }, { timeoutMs: this.config.TFTSR_PUBLISH_TIMEOUT_MS });
    const existing = await publisher.find(target, content, publication.remote_id);
    let remote: RemoteObject;
    let operation: PublishResult['operation'];
    if (existing) {
      if (existing.id !== publication.remote_id) this.recordRemote(publication, existing, 'found');
      remote = await publisher.update(target, content, existing);
      operation = 'updated';
    } else {
      remote = await publisher.create(target, content);
      this.recordRemote(publication, remote, 'created');
      operation = 'created';
    }
    const sha = sentHash(content.title, content.markdown);
    const ref = toRef(remote);
    const done = this.guard.finish(outboxId, () => {
      this.publications.markPublished(publication.id, ref, sha, prepared.redaction !== null);
      this.audit.append({
        action: `publish_to_${target.service}`,
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: {
          issue_id: publication.issue_id,
          document_id: publication.document_id,
          operation,
          remote_id: ref.remote_id,
          remote_display_id: ref.remote_display_id,
          sent_sha256: sha,
          ...(prepared.redaction ? { redacted_by_gate: true, redacted_types: prepared.redaction.types, redacted_findings: prepared.redaction.findings } : {}),
        },
      });
    });
    if (done === null) return { skipped: true, reason: 'another run finished this job' };
    this.metrics?.publishResults.inc({ service: target.service, outcome: operation });
    this.logger.log(`publication ${publication.id} ${operation} on ${target.service} as ${ref.remote_display_id ?? ref.remote_id}`);
    return { remote_id: ref.remote_id, remote_url: ref.remote_url, operation };
  }

  /** The remote id, committed on its own at once: a crash after this point finds the object by id. */
  private recordRemote(publication: Publication, remote: RemoteObject, how: 'created' | 'found'): void {
    const ref = toRef(remote);
    transaction(this.db, () => {
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
  private onFailure(job: PublishJob, publication: Publication, err: Error): Error {
    const { outbox_id } = job.data;
    const retryable = err instanceof PublishError ? err.retryable : !(err instanceof PublishRefused);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const reason = err.message;
    if (retryable && !lastAttempt) {
      const delayMs = this.retryDelay(job.attemptsMade, err);
      transaction(this.db, () => {
        this.publications.markRetrying(publication.id, reason, Date.now() + delayMs);
        this.audit.append({
          action: 'publish_attempt_failed',
          entity_type: 'publication',
          entity_id: publication.id,
          user_id: publication.requested_by,
          details: { service: publication.service, attempt: job.attemptsMade + 1, reason, retry_in_ms: delayMs, ...(err instanceof PublishError ? { kind: err.kind, status: err.status } : {}) },
        });
      });
      this.metrics?.publishResults.inc({ service: publication.service, outcome: 'retrying' });
      this.logger.warn(`publication ${publication.id} to ${publication.service}: attempt ${job.attemptsMade + 1} failed (${reason}); retrying in ${delayMs} ms`);
      return new RetryLater(reason, delayMs);
    }
    const final = retryable ? `gave up after ${job.attemptsMade + 1} attempts: ${reason}` : reason;
    const findings = err instanceof PublishRefused ? err.findings : null;
    this.guard.fail(outbox_id, final, () => {
      this.publications.markFailed(publication.id, final, findings);
      this.audit.append({
        action: `publish_to_${publication.service}_failed`,
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: { issue_id: publication.issue_id, document_id: publication.document_id, reason: final, ...(findings ? { pii_types: [...new Set(findings.map((f) => f.pii_type))] } : {}) },
      });
    });
    this.metrics?.publishResults.inc({ service: publication.service, outcome: findings ? 'blocked_by_pii_gate' : 'failed' });
    this.logger.warn(`publication ${publication.id} to ${publication.service} failed: ${final}`);
    return new UnrecoverableError(final);
  }

  /** Retry-After when the remote named a delay (capped); else exponential from the base, with jitter, capped. */
  private retryDelay(attemptsMade: number, err: Error): number {
    if (err instanceof PublishError && err.retryAfterMs !== undefined) return Math.min(Math.max(err.retryAfterMs, 0), this.config.TFTSR_PUBLISH_MAX_RETRY_AFTER_MS);
    const ceiling = Math.min(this.config.TFTSR_PUBLISH_BACKOFF_MAX_MS, this.config.TFTSR_PUBLISH_BACKOFF_MS * 2 ** Math.min(attemptsMade, 20));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }
}

function toRef(remote: RemoteObject): RemoteRef {
  return { remote_id: remote.id, remote_url: remote.url, remote_display_id: remote.displayId ?? null };
}

/** The body of the incident a critical issue opens: its description, and where it lives. */
function incidentBody(issueId: string, severity: string, description: string | null): string {
  return [description?.trim() || '_No description yet._', '', `Opened by TFTSR for issue ${issueId} (severity ${severity}).`].join('\n');
}

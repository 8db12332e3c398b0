import { Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  IntegrationConfigRepository,
  IntegrationService,
  OutboxRepository,
  Publication,
  PublicationRepository,
  WebhookRepository,
} from '@tftsr/db';
import { jobIdFor, JobPayloads } from '@tftsr/jobs';
import type { PublishOptions } from '@tftsr/integrations/publishers/types';

export interface PublicationTicket {
  publication: Publication;
  /** False when a request for the same target was already in flight: no second job was enqueued. */
  queued: boolean;
  job_id: string | null;
}

/**
 * Writes a publish request: the publication row (new, or reset if its last request finished), its outbox job
 * and the audit entry, all inside the caller's transaction. The caller kicks the relay after the commit.
 */
@Injectable()
export class PublicationRequests {
  constructor(
    private readonly audit: AuditLogRepository,
    private readonly publications: PublicationRepository,
    private readonly outbox: OutboxRepository,
    private readonly configs: IntegrationConfigRepository,
    private readonly webhooks: WebhookRepository,
  ) {}

  request(
    issueId: string,
    documentId: string | null,
    service: IntegrationService,
    options: PublishOptions,
    actor: string,
    trigger: 'request' | 'auto',
  ): PublicationTicket {
    const { publication, queued } = this.publications.request({
      issue_id: issueId,
      document_id: documentId,
      service,
      options,
      requested_by: actor,
    });
    if (!queued) return { publication, queued, job_id: null };
    const job = this.outbox.add('publish', (outbox_id) => ({ outbox_id, publication_id: publication.id }));
    const jobId = jobIdFor('publish', JSON.parse(job.payload) as JobPayloads['publish']);
    this.audit.append({
      action: 'request_publish',
      entity_type: 'publication',
      entity_id: publication.id,
      user_id: actor,
      details: { issue_id: issueId, document_id: documentId, service, trigger, job_id: jobId },
    });
    return { publication, queued, job_id: jobId };
  }

  /** The services with `auto_create_enabled`: the desktop app stored the flag and never read it. */
  autoServices(): IntegrationService[] {
    return this.configs
      .list()
      .filter((c) => c.auto_create_enabled === 1)
      .map((c) => c.service);
  }

  /** Publishes a new document to every service that auto-creates; returns the tickets. */
  autoPublishDocument(issueId: string, documentId: string, actor: string): PublicationTicket[] {
    return this.autoServices().map((service) => this.request(issueId, documentId, service, {}, actor, 'auto'));
  }

  /** A critical issue: the `issue.critical_created` webhook event, and its incident. True when jobs were queued. */
  onCriticalIssue(issueId: string, actor: string): boolean {
    const notified = this.webhooks.emit('issue.critical_created', { issue_id: issueId }) > 0;
    const incident = this.autoOpenIncident(issueId, actor);
    return notified || incident?.queued === true;
  }

  /** A critical issue opens a ServiceNow incident when ServiceNow auto-creates. */
  autoOpenIncident(issueId: string, actor: string): PublicationTicket | null {
    if (!this.autoServices().includes('servicenow')) return null;
    return this.request(issueId, null, 'servicenow', { table: 'incident' }, actor, 'auto');
  }

  get(id: string): Publication | undefined {
    return this.publications.get(id);
  }

  listForIssue(issueId: string): Publication[] {
    return this.publications.listForIssue(issueId);
  }

  listForDocument(documentId: string): Publication[] {
    return this.publications.listForDocument(documentId);
  }
}

import { Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  GroupCommit,
  LogFileProcessingRepository,
  OutboxRepository,
  OutboxRow,
  PublicationRepository,
  RedactionRequestRepository,
} from '@tftsr/db';
import { isJobName, JobPayloads } from '@tftsr/jobs';

/**
 * A job BullMQ gave up on without its handler saying so (it stalled more than the allowed number of times: the
 * worker died under it): its outbox row is failed and what the job was for shows `failed` with the reason, with
 * the audit entry, in one unit of the group commit (its own savepoint: all of it or none). The worker's own
 * give-up (handler errors) records the same facts.
 */
@Injectable()
export class AbandonedJobs {
  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly outbox: OutboxRepository,
    private readonly processing: LogFileProcessingRepository,
    private readonly requests: RedactionRequestRepository,
    private readonly publications: PublicationRepository,
  ) {}

  /** Through the group commit: the reconcile pass never waits for the write lock on the event loop. */
  fail(row: OutboxRow, reason: string): Promise<void> {
    const { audit, outbox, processing, requests, publications } = this;
    return this.group.run(() => failAbandonedJob({ audit, outbox, processing, requests, publications }, row, reason));
  }
}

interface Repositories {
  audit: AuditLogRepository;
  outbox: OutboxRepository;
  processing: LogFileProcessingRepository;
  requests: RedactionRequestRepository;
  publications: PublicationRepository;
}

function failAbandonedJob({ audit, outbox, processing, requests, publications }: Repositories, row: OutboxRow, reason: string): void {
  const current = outbox.get(row.id);
  if (current?.state !== 'dispatched' && current?.state !== 'pending') return;
  outbox.markFailed(row.id, reason);
  if (!isJobName(row.job_name)) return;
  const payload = JSON.parse(row.payload) as Record<string, string>;
  switch (row.job_name) {
    case 'hash':
    case 'detect_pii': {
      const step = row.job_name === 'hash' ? 'hash' : 'scan';
      processing.fail(payload.log_file_id, step, reason);
      audit.append({
        action: `${row.job_name === 'hash' ? 'hash_log_file' : 'detect_pii'}_failed`,
        entity_type: 'log_file',
        entity_id: payload.log_file_id,
        details: { reason },
      });
      return;
    }
    case 'redact': {
      const p = payload as unknown as JobPayloads['redact'];
      const request = requests.get(p.redaction_request_id);
      if (request && requests.markFailed(request.id, reason)) {
        audit.append({
          action: 'apply_redactions_failed',
          entity_type: 'log_file',
          entity_id: p.log_file_id,
          user_id: request.requested_by,
          details: { request_id: request.id, reason },
        });
      }
      return;
    }
    case 'publish': {
      const p = payload as unknown as JobPayloads['publish'];
      const publication = publications.get(p.publication_id);
      if (!publication) return;
      publications.markFailed(publication.id, reason, null);
      audit.append({
        action: `publish_to_${publication.service}_failed`,
        entity_type: 'publication',
        entity_id: publication.id,
        user_id: publication.requested_by,
        details: { issue_id: publication.issue_id, document_id: publication.document_id, reason },
      });
      return;
    }
    case 'ping':
      return;
  }
}

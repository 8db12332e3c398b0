import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  Db,
  DB,
  LogFileRedactionRepository,
  newId,
  OutboxRepository,
  PiiSpanRepository,
  processingStatus,
  RedactionRequest,
  RedactionRequestRepository,
  toDbTimestamp,
  transaction,
} from '../../../../libs/db/src';
import { jobIdFor, JobPayloads } from '../../../../libs/jobs/src';
import { DomainError, ErrorCode } from '../common/domain-error';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { CreateRedactionBody, RedactionRequestResponse, toRedactionRequestResponse } from './log-file-review.dto';
import { LogFilesService } from './log-files.service';

/** Unknown ids named in an error, at most; the count says how many there were. */
const MAX_NAMED_UNKNOWN = 100;

/**
 * Approvals. A request is a row plus its `redact` outbox job, written with the audit entry in one transaction;
 * the worker does the rest. At most one request per file is pending: repeating it returns it (202), a
 * different one is refused until it finishes, and once a file is redacted it stays so (409).
 */
@Injectable()
export class RedactionsService {
  private readonly requests: RedactionRequestRepository;
  private readonly redactions: LogFileRedactionRepository;
  private readonly spans: PiiSpanRepository;
  private readonly outbox: OutboxRepository;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly logFiles: LogFilesService,
    private readonly relay: OutboxRelay,
  ) {
    this.requests = new RedactionRequestRepository(db);
    this.redactions = new LogFileRedactionRepository(db);
    this.spans = new PiiSpanRepository(db);
    this.outbox = new OutboxRepository(db);
  }

  request(logFileId: string, body: CreateRedactionBody, actor: string): RedactionRequestResponse {
    const ids = approvedIds(body);
    const spanIds = ids === null ? null : JSON.stringify(ids);
    const { request, created } = transaction(this.db, () => {
      const { file, processing } = this.logFiles.getWithProcessing(logFileId);
      if (file.redacted === 1) throw new DomainError(ErrorCode.ALREADY_REDACTED, `log file ${logFileId} is already redacted`);
      const status = processingStatus(processing);
      if (status !== 'ready') {
        throw new DomainError(ErrorCode.LOG_FILE_NOT_READY, `log file ${logFileId} is ${status}: spans can be approved once hashing and detection are done`, { status });
      }
      const pending = this.requests.findPending(logFileId);
      if (pending && pending.span_ids === spanIds) return { request: pending, created: false };
      if (pending) throw new DomainError(ErrorCode.REDACTION_PENDING, `another redaction of log file ${logFileId} is in progress`, { request_id: pending.id });
      if (ids !== null) this.assertSpansOfFile(logFileId, ids);
      const row: RedactionRequest = {
        id: newId(),
        log_file_id: logFileId,
        span_ids: spanIds,
        requested_by: actor,
        state: 'pending',
        failure_reason: null,
        created_at: toDbTimestamp(),
        finished_at: null,
      };
      this.requests.insert(row);
      const payload = (outbox_id: string) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: row.id });
      const job = this.outbox.add('ingest', 'redact', payload);
      this.audit.append({
        action: 'request_redaction',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: actor,
        details: { request_id: row.id, all: ids === null, span_count: ids?.length ?? null, job: jobIdFor('redact', JSON.parse(job.payload) as JobPayloads['redact']) },
      });
      return { request: row, created: true };
    });
    if (created) this.relay.kick();
    return toRedactionRequestResponse(request, undefined);
  }

  get(logFileId: string, requestId: string): RedactionRequestResponse {
    this.logFiles.getOrThrow(logFileId);
    const request = this.requests.get(requestId);
    if (request?.log_file_id !== logFileId) {
      throw new DomainError(ErrorCode.REDACTION_REQUEST_NOT_FOUND, `log file ${logFileId} has no redaction request ${requestId}`);
    }
    const result = this.redactions.get(logFileId);
    return toRedactionRequestResponse(request, result?.request_id === request.id ? result : undefined);
  }

  private assertSpansOfFile(logFileId: string, ids: string[]): void {
    const found = new Set(this.spans.listRedactable(logFileId, { ids, limit: ids.length }).map((s) => s.id));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length > 0) {
      throw new DomainError(ErrorCode.UNKNOWN_SPANS, `${unknown.length} of the span ids are not spans of log file ${logFileId}`, {
        unknown_span_ids: unknown.slice(0, MAX_NAMED_UNKNOWN),
        unknown_count: unknown.length,
      });
    }
  }
}

/** The approved ids, sorted and de-duplicated (so a repeated request compares equal), or null for all. */
function approvedIds(body: CreateRedactionBody): string[] | null {
  if ((body.span_ids === undefined) === (body.all === undefined)) {
    const problem = 'send either span_ids (a non-empty list) or all: true, not both';
    throw new DomainError(ErrorCode.VALIDATION_FAILED, problem, { problems: [problem] });
  }
  if (body.all) return null;
  const ids = [...new Set(body.span_ids)].sort();
  // The desktop app marked a file redacted on an empty approval, while every value stayed in it.
  if (ids.length === 0) throw new DomainError(ErrorCode.EMPTY_APPROVAL, 'span_ids is empty: approve at least one span, or send all: true');
  return ids;
}

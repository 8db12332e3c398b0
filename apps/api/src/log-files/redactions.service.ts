import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  DB,
  Db,
  GroupCommit,
  LogFileRedactionRepository,
  newId,
  OutboxRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  processingStatus,
  RedactionRequest,
  RedactionRequestRepository,
  toDbTimestamp,
} from '@tftsr/db';
import { jobIdFor, JobPayloads } from '@tftsr/jobs';
import { DomainError, ErrorCode } from '../common/domain-error';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { CreateRedactionBody, RedactionRequestResponse, toRedactionRequestResponse } from './log-file-review.dto';
import { FinalizeResponse, RedactionSummary } from './pii-review.dto';
import { LogFilesService } from './log-files.service';
import { toApiTime } from '../common/api-time';

/** Unknown ids named in an error, at most; the count says how many there were. */
const MAX_NAMED_UNKNOWN = 100;

/**
 * Applying decisions (issue 12). A request is a row plus its `redact` outbox job, written with the audit entry in
 * one transaction; the worker writes a new redacted version from the decisions in force when it runs: every
 * span is hidden but the kept ones. At most one request per file is pending, and since every request means
 * "apply the current decisions", a new one while another is pending returns that one (202). Once the file is
 * finalized, requests are refused (409 LOG_FILE_FINALIZED).
 */
@Injectable()
export class RedactionsService {
  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly logFiles: LogFilesService,
    private readonly relay: OutboxRelay,
    private readonly requests: RedactionRequestRepository,
    private readonly redactions: LogFileRedactionRepository,
    private readonly spans: PiiSpanRepository,
    private readonly outbox: OutboxRepository,
    private readonly review: PiiReviewRepository,
  ) {}

  async request(logFileId: string, body: CreateRedactionBody, actor: string): Promise<RedactionRequestResponse> {
    const ids = approvedIds(body);
    const spanIds = ids === null ? null : JSON.stringify(ids);
    const { request, created } = await this.group.run(() => {
      this.assertReady(logFileId);
      this.assertNotFinalized(logFileId);
      const pending = this.requests.findPending(logFileId);
      if (pending) return { request: pending, created: false };
      if (ids !== null) this.assertSpansOfFile(logFileId, ids);
      const { row, jobId } = this.insertRequest(logFileId, spanIds, actor, 0);
      this.audit.append({
        action: 'request_redaction',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: actor,
        details: { request_id: row.id, all: ids === null, span_count: ids?.length ?? null, job: jobId },
      });
      return { request: row, created: true };
    });
    if (created) this.relay.kick();
    return toRedactionRequestResponse(request, undefined);
  }

  /**
   * Finalizing is a redaction that also wipes the originals, in the worker's transaction that writes the
   * version: so the final copy always reflects the last decisions. A pending request becomes the finalizing one.
   */
  async finalize(logFileId: string, actor: string): Promise<FinalizeResponse> {
    const { requestId, finalizedAt, created } = await this.group.run(() => {
      this.assertReady(logFileId);
      const state = this.review.state(logFileId);
      if (state.finalized_at) return { requestId: null, finalizedAt: state.finalized_at, created: false };
      const pending = this.requests.findPending(logFileId);
      if (pending) {
        this.requests.markFinalizing(pending.id);
        this.audit.append({
          action: 'request_finalize',
          entity_type: 'log_file',
          entity_id: logFileId,
          user_id: actor,
          details: { request_id: pending.id },
        });
        return { requestId: pending.id, finalizedAt: null, created: false };
      }
      const { row, jobId } = this.insertRequest(logFileId, null, actor, 1);
      this.audit.append({
        action: 'request_finalize',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: actor,
        details: { request_id: row.id, job: jobId },
      });
      return { requestId: row.id, finalizedAt: null, created: true };
    });
    if (created) this.relay.kick();
    return { finalized_at: toApiTime(finalizedAt), request_id: requestId };
  }

  /** Where the file's redaction stands, for GET /v1/log-files/:id. */
  summary(logFileId: string): RedactionSummary {
    return {
      version: this.redactions.get(logFileId)?.version ?? null,
      finalized_at: toApiTime(this.review.find(logFileId)?.finalized_at),
      pending: this.requests.findPending(logFileId) !== undefined,
    };
  }

  private insertRequest(
    logFileId: string,
    spanIds: string | null,
    actor: string,
    finalize: number,
  ): { row: RedactionRequest; jobId: string } {
    const row: RedactionRequest = {
      id: newId(),
      log_file_id: logFileId,
      span_ids: spanIds,
      requested_by: actor,
      state: 'pending',
      failure_reason: null,
      created_at: toDbTimestamp(),
      finished_at: null,
      finalize,
    };
    this.requests.insert(row);
    const payload = (outbox_id: string) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: row.id });
    const job = this.outbox.add('redact', payload);
    return { row, jobId: jobIdFor('redact', JSON.parse(job.payload) as JobPayloads['redact']) };
  }

  private assertReady(logFileId: string): void {
    const { processing } = this.logFiles.getWithProcessing(logFileId);
    const status = processingStatus(processing);
    if (status !== 'ready') {
      throw new DomainError(
        ErrorCode.LOG_FILE_NOT_READY,
        `log file ${logFileId} is ${status}: it can be redacted once hashing and detection are done`,
        { status },
      );
    }
  }

  private assertNotFinalized(logFileId: string): void {
    const finalizedAt = this.review.find(logFileId)?.finalized_at;
    if (finalizedAt)
      throw new DomainError(
        ErrorCode.LOG_FILE_FINALIZED,
        `log file ${logFileId} was finalized at ${finalizedAt}: its redacted copy is final`,
      );
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

/**
 * The legacy approval's ids, sorted and de-duplicated, or null ({} or all: true). They are checked and
 * recorded, but no longer limit anything: every span that is not kept is redacted.
 */
function approvedIds(body: CreateRedactionBody): string[] | null {
  if (body.span_ids !== undefined && body.all !== undefined) {
    const problem = 'send span_ids or all: true (or neither), not both';
    throw new DomainError(ErrorCode.VALIDATION_FAILED, problem, { problems: [problem] });
  }
  if (body.span_ids === undefined) return null;
  const ids = [...new Set(body.span_ids)].sort();
  // The desktop app marked a file redacted on an empty approval, while every value stayed in it.
  if (ids.length === 0) throw new DomainError(ErrorCode.EMPTY_APPROVAL, 'span_ids is empty: approve at least one span, or send all: true');
  return ids;
}

import { Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import {
  AuditLogRepository,
  GroupCommit,
  LogFile,
  LogFileIngestRepository,
  LogFileRedactionRepository,
  PiiDecisionRepository,
  PiiPseudonymRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  RedactableSpan,
  RedactableSummary,
  RedactionRequest,
  RedactionRequestRepository,
  SettingRepository,
  SpanToRedact,
  toDbTimestamp,
  TransactionRunner,
} from '@tftsr/db';
import { BlobIntegrityError } from '@tftsr/storage';
import type { OutboxJob } from '@tftsr/jobs';
import { redactWorkIdFor } from '@tftsr/jobs';
import { OutboxJobGuard, Skipped } from './outbox-job';
import { readRedactionSettings, RedactionSettings } from '@tftsr/pii';
import { RedactedBlob, RedactorService, SpansDoNotFitError } from './redactor.service';

/** The type of every span a custom rule (`pii.custom_rules`) found. */
const CUSTOM_TYPE = 'Custom';
/** A span whose replacement, in the pseudonym style, is its value's number (not a custom rule's own text). */
const isNumbered = (s: SpanToRedact) => s.original_value !== '' && s.pii_type !== CUSTOM_TYPE;
/** How many new values one group-commit unit numbers. */
const NUMBER_PAGE = 1000;

export interface RedactResult {
  redacted_sha256: string;
  span_count: number;
  version: number;
}

interface Applied {
  version: number;
  previousPath: string | null;
  removeOriginal: boolean;
}

/** Decisions changed while a redacted copy was being written. */
class StaleDecisions extends Error {}

/**
 * One redacted version of a file (issue 12): every span but the kept ones hidden, with type or pseudonym
 * replacements, written as a new blob; then in the finishing transaction the version row replaces the previous
 * one, with its audit entry and, for a finalizing request, the originals wiped. 'stale' when the decisions
 * changed meanwhile: nothing is committed and the caller starts over.
 */
@Injectable()
export class RedactionVersionWriter {
  constructor(
    private readonly group: GroupCommit,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditLogRepository,
    private readonly redactor: RedactorService,
    private readonly guard: OutboxJobGuard,
    private readonly files: LogFileIngestRepository,
    private readonly spans: PiiSpanRepository,
    private readonly requests: RedactionRequestRepository,
    private readonly redactions: LogFileRedactionRepository,
    private readonly review: PiiReviewRepository,
    private readonly decisions: PiiDecisionRepository,
    private readonly pseudonyms: PiiPseudonymRepository,
    private readonly settings: SettingRepository,
  ) {}

  /**
   * `job` is the redact job's payload: in role `writer` (issue 19) a scanner writes the copy, under a work id
   * derived from it and the decisions applied; everything else (the decisions read, the commit, the stale check,
   * the discard of a copy not committed) stays here, as in role `all`.
   */
  async write(file: LogFile, request: RedactionRequest, job: OutboxJob): Promise<RedactResult | Skipped | 'stale'> {
    const outboxId = job.outbox_id;
    const logFileId = file.id;
    const rev = await this.group.run(() => this.review.state(logFileId).decisions_rev);
    const settings = readRedactionSettings(this.settings);
    const summary = this.decisions.summariseToRedact(logFileId, file.issue_id);
    if (settings.replacementStyle === 'pseudonym') await this.numberNewValues(file.issue_id, logFileId);
    const spans = this.withReplacements(file.issue_id, this.decisions.iterateToRedact(logFileId, file.issue_id), settings.replacementStyle);
    const workId = this.redactor.remoteCopies ? redactWorkIdFor(job, rev, settings.replacementStyle) : undefined;
    const blob = await this.redactor
      .redact(file.file_path, spans, { sha256: file.content_hash, spansEndAt: summary.maxEnd }, workId ? { workId, logFileId } : undefined)
      .catch(async (err: Error) => {
        const hopeless = err instanceof BlobIntegrityError || err instanceof SpansDoNotFitError;
        // A scanner's problem is final; any other failure leaves the work for the next attempt to find.
        if (!hopeless) throw err;
        if (workId) await this.redactor.release(workId);
        throw new UnrecoverableError(err.message);
      });
    let applied: Applied | 'stale' | false | null = null;
    try {
      applied = await this.guard.finish(outboxId, () => {
        const outcome = this.applyRedaction(file, request.id, blob, summary, rev, settings);
        // Roll back the outbox row too: the job is not done, it starts over with the new decisions.
        if (outcome === 'stale') throw new StaleDecisions();
        return outcome;
      });
    } catch (err) {
      if (!(err instanceof StaleDecisions)) throw err;
      applied = 'stale';
    } finally {
      // Committed, or its copy removed just below: a scanner's plan and result must not be found again.
      if (workId) await this.redactor.release(workId);
      // Role writer: a duplicate run of the job (a stalled lock) shares the scanner's copy; the one committed stays.
      const committed = typeof applied === 'object' && applied !== null;
      if (!committed && !(workId && this.redactions.get(logFileId)?.redacted_path === blob.path)) await this.redactor.discard(blob.path);
    }
    if (applied === 'stale') return 'stale';
    if (!applied) return { skipped: true as const, reason: 'another run finished this job' };
    if (applied.previousPath !== null && applied.previousPath !== blob.path) await this.redactor.discard(applied.previousPath);
    if (applied.removeOriginal) await this.redactor.discard(file.file_path);
    return { redacted_sha256: blob.redactedSha256, span_count: summary.count, version: applied.version };
  }

  /**
   * Each span's replacement: its type's (`[IPv4]`), or its value's number within the issue (`[IPv4-3]`). A custom
   * rule's span keeps the rule's own replacement (default `[name]`) in both styles: the user chose it.
   */
  private *withReplacements(issueId: string, spans: Iterable<SpanToRedact>, style: 'type' | 'pseudonym'): Generator<RedactableSpan> {
    if (style === 'type') {
      yield* spans;
      return;
    }
    let page: SpanToRedact[] = [];
    const flush = () => {
      const keys = page.map((s) => (isNumbered(s) ? this.redactor.keys.pseudonymKeyOf(issueId, s.pii_type, s.original_value) : undefined));
      const replaced = () =>
        page.map((s, i) => {
          const valueKey = keys[i];
          return valueKey === undefined
            ? s
            : { ...s, replacement: `[${s.pii_type}-${this.pseudonyms.pseudonym(issueId, valueKey, s.pii_type)}]` };
        });
      // numberNewValues numbered every value before the copy began, so this only reads. A value it missed (a
      // decision changed since; the run then ends stale and starts over) is numbered here, in one transaction per
      // page: a commit per value would cost an fsync each.
      if (keys.every((k) => k === undefined || this.pseudonyms.find(issueId, k) !== undefined)) return replaced();
      // eslint-disable-next-line no-restricted-syntax -- inside the redactor's synchronous span iterator, which cannot await a group commit; rare (above)
      return this.tx.write(replaced);
    };
    for (const span of spans) {
      page.push(span);
      if (page.length >= 1000) {
        yield* flush();
        page = [];
      }
    }
    yield* flush();
  }

  /**
   * Numbers, through the group commit, every value among the spans to redact that has no pseudonym yet, in the
   * order the copy meets them (so the numbers are those it would give). The copy then only reads them, and a
   * write lock held by the API never stops the event loop.
   */
  private async numberNewValues(issueId: string, logFileId: string): Promise<void> {
    let page = new Map<string, string>();
    const commit = async () => {
      const values = page;
      page = new Map();
      await this.group.run(() => {
        for (const [valueKey, type] of values) this.pseudonyms.pseudonym(issueId, valueKey, type);
      });
    };
    // Pages of spans are read whole (`iterateToRedact`), so no statement is open across the awaits.
    for (const s of this.decisions.iterateToRedact(logFileId, issueId)) {
      if (!isNumbered(s)) continue;
      const valueKey = this.redactor.keys.pseudonymKeyOf(issueId, s.pii_type, s.original_value);
      if (page.has(valueKey) || this.pseudonyms.find(issueId, valueKey) !== undefined) continue;
      page.set(valueKey, s.pii_type);
      if (page.size >= NUMBER_PAGE) await commit();
    }
    if (page.size > 0) await commit();
  }

  /** The effect of a redaction, inside the finishing transaction; false when the request stopped being pending. */
  private applyRedaction(
    file: LogFile,
    requestId: string,
    blob: RedactedBlob,
    summary: RedactableSummary,
    rev: number,
    settings: RedactionSettings,
  ): Applied | 'stale' | false {
    const logFileId = file.id;
    const state = this.review.state(logFileId);
    if (state.decisions_rev !== rev) return 'stale';
    // Read again here: the API may have turned this pending request into a finalizing one since the job began.
    const request = this.requests.get(requestId);
    if (!request || !this.requests.markDone(request.id)) return false;
    const previous = this.redactions.get(logFileId);
    const version = (previous?.version ?? 0) + 1;
    this.redactions.put({
      log_file_id: logFileId,
      request_id: request.id,
      redacted_path: blob.path,
      redacted_size: blob.size,
      original_sha256: blob.originalSha256,
      redacted_sha256: blob.redactedSha256,
      span_count: summary.count,
      counts_by_type: JSON.stringify(summary.countsByType),
      created_at: toDbTimestamp(),
      version,
      decisions_rev: rev,
      replacement_style: settings.replacementStyle,
    });
    this.files.markRedacted(logFileId);
    this.audit.append({
      action: 'apply_redactions',
      entity_type: 'log_file',
      entity_id: logFileId,
      user_id: request.requested_by,
      details: {
        request_id: request.id,
        version,
        replacement_style: settings.replacementStyle,
        original_sha256: blob.originalSha256,
        redacted_sha256: blob.redactedSha256,
        redacted_size: blob.size,
        span_count: summary.count,
        counts_by_type: summary.countsByType,
      },
    });
    const finalize = request.finalize === 1;
    if (finalize) {
      const at = toDbTimestamp();
      this.review.markFinalized(logFileId, at);
      const wiped = this.spans.wipeOriginals(logFileId);
      this.audit.append({
        action: 'finalize_log_file',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: request.requested_by,
        details: { request_id: request.id, version, wiped_values: wiped, original_blob_removed: settings.wipeOriginalBlob },
      });
    }
    return { version, previousPath: previous?.redacted_path ?? null, removeOriginal: finalize && settings.wipeOriginalBlob };
  }
}

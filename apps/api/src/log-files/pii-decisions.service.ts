import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  AuditLogRepository,
  DB,
  Db,
  GroupCommit,
  LogFile,
  LogFileLineIndexRepository,
  PiiDecision,
  PiiDecisionRepository,
  PiiFileValueRepository,
  PiiReviewRepository,
  PiiSpanRepository,
} from '@tftsr/db';
import { findAll, lineAt, maskedForm, MAX_MANUAL_SPAN_BYTES } from '@tftsr/redaction';
import { BlobStore } from '@tftsr/storage';
import { Principal } from '../auth/scopes.decorator';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SettingsService } from '../settings/settings.service';
import { DecisionEntry, DecisionsBody, DecisionsResponse, ManualSpanBody, ManualSpansResponse } from './pii-review.dto';
import { ReviewIndexService } from './review-index.service';

/** A literal may turn into at most this many spans in one request. */
const MAX_LITERAL_SPANS = 100_000;
const MAX_NAMED_UNKNOWN = 100;
const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * Decisions and manual spans: what the next redacted version hides. Each change bumps the file's decisions_rev
 * in the transaction that makes it, with its audit entry; the next POST redactions applies it. A keep needs
 * pii:reveal (whoever clears a value must be able to see it) and is audited with the SHA-256 of the value.
 */
@Injectable()
export class PiiDecisionsService {
  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly index: ReviewIndexService,
    private readonly spans: PiiSpanRepository,
    private readonly lineIndex: LogFileLineIndexRepository,
    private readonly review: PiiReviewRepository,
    private readonly decisions: PiiDecisionRepository,
    private readonly values: PiiFileValueRepository,
  ) {}

  async decide(logFileId: string, body: DecisionsBody, caller: Principal): Promise<DecisionsResponse> {
    for (const entry of body.decisions) {
      if ((entry.value_id === undefined) === (entry.span_id === undefined)) {
        const problem = 'each decision names exactly one of value_id and span_id';
        throw new DomainError(ErrorCode.VALIDATION_FAILED, problem, { problems: [problem] });
      }
    }
    if (body.decisions.some((d) => d.decision === 'keep')) this.index.assertMayReveal(caller, 'keeping a value in clear');
    this.index.assertNotFinalized(logFileId);
    const file = await this.index.readyFile(logFileId);
    const scope = this.settings.value('pii.decision_scope');
    return this.group.run(() => {
      this.index.assertNotFinalized(logFileId);
      const { values, spans } = this.resolve(logFileId, body.decisions);
      const review = this.review;
      const counts = { redact: 0, keep: 0, clear: 0 };
      for (const entry of body.decisions) {
        const decision: PiiDecision | null = entry.decision === 'clear' ? null : entry.decision;
        counts[entry.decision]++;
        if (entry.span_id !== undefined) {
          this.decisions.decideSpan(entry.span_id, decision);
        } else if (scope === 'issue') {
          this.decisions.decideValue({ issueId: file.issue_id }, entry.value_id as string, decision, caller.name);
          // An older decision for this file alone would shadow the issue's.
          this.decisions.decideValue({ logFileId }, entry.value_id as string, null, caller.name);
        } else {
          this.decisions.decideValue({ logFileId }, entry.value_id as string, decision, caller.name);
        }
        if (entry.decision === 'keep')
          this.auditKeep(
            file,
            entry,
            caller,
            entry.span_id !== undefined ? spans.get(entry.span_id) : values.get(entry.value_id as string),
          );
      }
      if (scope === 'issue' && body.decisions.some((d) => d.value_id !== undefined)) review.bumpRevOfIssue(file.issue_id);
      review.bumpRev(logFileId);
      this.audit.append({
        action: 'decide_pii',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: caller.name,
        details: { scope, ...counts },
      });
      return { updated: body.decisions.length };
    });
  }

  /**
   * A reviewer's span, by byte range or for every occurrence of a literal: stored as spans with source manual,
   * redacted like the others (and kept only by a decision, like them).
   */
  async addManual(logFileId: string, body: ManualSpanBody, actor: string): Promise<ManualSpansResponse> {
    const byRange = body.start !== undefined || body.end !== undefined;
    if (byRange === (body.literal !== undefined) || (byRange && (body.start === undefined || body.end === undefined))) {
      const problem = 'send start and end (a byte range), or literal, not both';
      throw new DomainError(ErrorCode.VALIDATION_FAILED, problem, { problems: [problem] });
    }
    this.index.assertNotFinalized(logFileId);
    const file = await this.index.readyFile(logFileId);
    const type = body.type ?? 'manual';
    const found = byRange
      ? await this.range(file, body.start as number, body.end as number)
      : await this.literal(file, body.literal as string);
    return this.group.run(() => {
      this.index.assertNotFinalized(logFileId);
      const review = this.review;
      const out: ManualSpansResponse['spans'] = [];
      for (const f of found) {
        const span = { pii_type: type, start_offset: f.start, end_offset: f.end, original_value: f.value, replacement: `[${type}]` };
        const id = this.spans.insert(logFileId, span);
        const valueId = this.index.keys.valueId(type, f.value);
        review.insertSpanReviews([{ span_id: id, log_file_id: logFileId, value_id: valueId, line_number: f.line, source: 'manual' }]);
        review.addToValue(logFileId, {
          value_id: valueId,
          pii_type: type,
          masked: maskedForm(type, f.value, span.replacement),
          span_count: 1,
          first_line: f.line,
        });
        out.push({ span_id: id, start: f.start, end: f.end, type });
      }
      review.bumpRev(logFileId);
      this.audit.append({
        action: 'add_manual_pii_spans',
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: actor,
        details: {
          mode: byRange ? 'range' : 'literal',
          type,
          count: out.length,
          span_ids: out.slice(0, 1000).map((s) => s.span_id),
          value_sha256: found[0] ? sha256(found[0].value) : null,
        },
      });
      return { spans: out };
    });
  }

  private async range(file: LogFile, start: number, end: number): Promise<{ start: number; end: number; value: string; line: number }[]> {
    const size = file.file_size ?? 0;
    if (end <= start || end - start > MAX_MANUAL_SPAN_BYTES || end > size) {
      throw new DomainError(
        ErrorCode.INVALID_SPAN_RANGE,
        `the range must be non-empty, at most ${MAX_MANUAL_SPAN_BYTES} bytes, and end within the ${size}-byte file`,
        { start, end, file_size: size },
      );
    }
    const parts: Buffer[] = [];
    let got = 0;
    for await (const chunk of this.blobs.readFrom(file.file_path, start)) {
      parts.push(chunk.subarray(0, end - start - got));
      got += Math.min(chunk.length, end - start - got);
      if (got >= end - start) break;
    }
    const cp = this.lineIndex.checkpointAtByte(file.id, start) ?? { line_number: 1, byte_start: 0 };
    const line = await lineAt(this.blobs, file.file_path, { line: cp.line_number, byte: cp.byte_start }, start);
    return [{ start, end, value: Buffer.concat(parts).toString('utf8'), line }];
  }

  private async literal(file: LogFile, literal: string): Promise<{ start: number; end: number; value: string; line: number }[]> {
    const needle = Buffer.from(literal, 'utf8');
    const found = await findAll(this.blobs, file.file_path, needle, MAX_LITERAL_SPANS + 1);
    if (found.length > MAX_LITERAL_SPANS) {
      throw new DomainError(ErrorCode.INVALID_SPAN_RANGE, `the literal occurs more than ${MAX_LITERAL_SPANS} times; mark a longer one`, {
        max: MAX_LITERAL_SPANS,
      });
    }
    return found.map((f) => ({ start: f.start, end: f.start + needle.length, value: literal, line: f.line }));
  }

  /** The values and spans named, each checked to belong to the file; with an original when one is still stored. */
  private resolve(logFileId: string, entries: DecisionEntry[]): { values: Map<string, Named>; spans: Map<string, Named> } {
    const valueIds = [...new Set(entries.flatMap((e) => (e.value_id === undefined ? [] : [e.value_id])))];
    const spanIds = [...new Set(entries.flatMap((e) => (e.span_id === undefined ? [] : [e.span_id])))];
    const repository = this.values;
    const values = new Map(
      repository
        .valuesById(logFileId, valueIds)
        .map((v) => [v.value_id, { type: v.pii_type, original: repository.originalOf(logFileId, v.value_id) }]),
    );
    const unknownValues = valueIds.filter((id) => !values.has(id));
    if (unknownValues.length > 0) {
      throw new DomainError(
        ErrorCode.UNKNOWN_PII_VALUES,
        `${unknownValues.length} of the value ids are not values of log file ${logFileId}`,
        {
          unknown_value_ids: unknownValues.slice(0, MAX_NAMED_UNKNOWN),
          unknown_count: unknownValues.length,
        },
      );
    }
    const spans = new Map(
      repository
        .spansById(logFileId, spanIds)
        .map((s) => [s.id, { type: '', original: s.original_value === '' ? undefined : s.original_value }]),
    );
    const unknownSpans = spanIds.filter((id) => !spans.has(id));
    if (unknownSpans.length > 0) {
      throw new DomainError(ErrorCode.UNKNOWN_SPANS, `${unknownSpans.length} of the span ids are not spans of log file ${logFileId}`, {
        unknown_span_ids: unknownSpans.slice(0, MAX_NAMED_UNKNOWN),
        unknown_count: unknownSpans.length,
      });
    }
    return { values, spans };
  }

  private auditKeep(file: LogFile, entry: DecisionEntry, caller: Principal, named: Named | undefined): void {
    if (named?.original === undefined) {
      // Nobody can see a wiped value, so nobody can judge it harmless: it stays redacted.
      const problem = 'its original value is wiped: it cannot be reviewed, so it stays redacted';
      throw new DomainError(ErrorCode.VALIDATION_FAILED, problem, {
        problems: [problem],
        ...(entry.value_id ? { value_id: entry.value_id } : { span_id: entry.span_id }),
      });
    }
    this.audit.append({
      action: 'keep_pii',
      entity_type: 'log_file',
      entity_id: file.id,
      user_id: caller.name,
      details: {
        key_name: caller.name,
        value_id: entry.value_id ?? null,
        span_id: entry.span_id ?? null,
        value_sha256: sha256(named.original),
      },
    });
  }
}

interface Named {
  type: string;
  original: string | undefined;
}

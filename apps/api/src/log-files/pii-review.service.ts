import { Inject, Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  DB,
  Db,
  GroupCommit,
  LogFileLineIndexRepository,
  PiiDecisionRepository,
  PiiFileValueRepository,
  PiiReviewRepository,
  WindowSpan,
} from '@tftsr/db';
import { maskedForm, readLines, RawLine, SPAN_LOOKBACK_BYTES } from '@tftsr/redaction';
import { BlobIntegrityError, BlobStore } from '@tftsr/storage';
import { Principal } from '../auth/scopes.decorator';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { DomainError, ErrorCode } from '../common/domain-error';
import { LineItem, LinesQuery, LinesResponse, PiiTotalsResponse, PiiValuesQuery, PiiValuesResponse } from './pii-review.dto';
import { ReviewIndexService } from './review-index.service';

const DEFAULT_LIMIT = 100;
const DEFAULT_WINDOW = 200;

interface ValueCursor {
  f: string;
  c: number;
  v: string;
}

/**
 * What a reviewer reads: the distinct values, the per-type totals, and windows of lines with their spans. All
 * masked; `reveal=true` needs pii:reveal and is audited (reveal_pii) in the transaction that reads the values.
 */
@Injectable()
export class PiiReviewService {
  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly index: ReviewIndexService,
    private readonly lineIndex: LogFileLineIndexRepository,
    private readonly review: PiiReviewRepository,
    private readonly decisions: PiiDecisionRepository,
    private readonly fileValues: PiiFileValueRepository,
  ) {}

  async values(logFileId: string, query: PiiValuesQuery, caller: Principal): Promise<PiiValuesResponse> {
    const reveal = query.reveal === true;
    if (reveal) this.index.assertMayReveal(caller, 'revealing values');
    const filter = `${query.type ?? ''}|${query.decision ?? ''}`;
    const after = query.cursor === undefined ? undefined : readCursor(query.cursor, filter);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const file = await this.index.readyFile(logFileId);
    // A transaction only when revealing: the audit entry must name exactly the values read.
    const run = <T>(fn: () => T): Promise<T> => (reveal ? this.group.run(fn) : Promise.resolve(fn()));
    return run(() => {
      const rows = this.fileValues.listValues(logFileId, file.issue_id, {
        type: query.type,
        decision: query.decision,
        after,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const items = page.map((v) => ({
        value_id: v.value_id,
        type: v.pii_type,
        masked: v.masked,
        count: v.span_count,
        first_line: v.first_line,
        decision: v.decision ?? 'redact',
        decided: v.decision !== null,
        ...(reveal && { value: this.fileValues.originalOf(logFileId, v.value_id) ?? null }),
      }));
      const shown = items.filter((i) => i.value !== undefined && i.value !== null).map((i) => i.value_id);
      if (shown.length > 0) {
        this.audit.append({
          action: 'reveal_pii',
          entity_type: 'log_file',
          entity_id: logFileId,
          user_id: caller.name,
          details: { value_ids: shown, count: shown.length },
        });
      }
      return { items, next_cursor: rows.length > limit ? encodeCursor({ f: filter, c: last.span_count, v: last.value_id }) : null };
    });
  }

  async totals(logFileId: string): Promise<PiiTotalsResponse> {
    const file = await this.index.readyFile(logFileId);
    const totals = this.fileValues
      .totals(logFileId, file.issue_id)
      .map((t) => ({ type: t.pii_type, spans: t.spans, values: t.values, kept: t.kept }));
    return { totals, spans: totals.reduce((n, t) => n + t.spans, 0), values: totals.reduce((n, t) => n + t.values, 0) };
  }

  async lines(logFileId: string, query: LinesQuery, caller: Principal): Promise<LinesResponse> {
    const reveal = query.reveal === true;
    if (reveal) this.index.assertMayReveal(caller, 'revealing values');
    const from = query.from ?? 1;
    const count = query.count ?? DEFAULT_WINDOW;
    const file = await this.index.readyFile(logFileId);
    const review = this.review;
    const totalLines = review.find(logFileId)?.total_lines ?? null;
    const start = this.lineIndex.checkpoint(logFileId, from) ?? { line_number: 1, byte_start: 0 };
    let raw: RawLine[];
    try {
      raw = await readLines(this.blobs, file.file_path, { line: start.line_number, byte: start.byte_start }, from, count);
    } catch (err) {
      if (err instanceof BlobIntegrityError)
        throw new DomainError(ErrorCode.STORED_FILE_CORRUPT, `the stored content of log file ${logFileId} failed its integrity check`);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DomainError(ErrorCode.STORED_FILE_MISSING, `the stored content of log file ${logFileId} is gone`);
      throw err;
    }
    if (raw.length === 0) return { from, count: 0, total_lines: totalLines, lines: [] };
    const windowStart = raw[0].byte_start;
    const windowEnd = raw[raw.length - 1].byte_end + 1;
    const respond = () => {
      const spans = this.decisions.windowSpans(logFileId, file.issue_id, windowStart, windowEnd, SPAN_LOOKBACK_BYTES);
      return { spans, lines: raw.map((line) => displayLine(line, spans, reveal)) };
    };
    if (!reveal) return { from, count: raw.length, total_lines: totalLines, lines: respond().lines };
    return this.group.run(() => {
      const { spans, lines } = respond();
      if (spans.length > 0) {
        this.audit.append({
          action: 'reveal_pii',
          entity_type: 'log_file',
          entity_id: logFileId,
          user_id: caller.name,
          details: { lines: { from, count: raw.length }, span_ids: spans.slice(0, 1000).map((s) => s.id), count: spans.length },
        });
      }
      return { from, count: raw.length, total_lines: totalLines, lines };
    });
  }
}

/** A line with each span replaced by its masked form (or its bytes, when revealed); offsets in the shown text. */
function displayLine(line: RawLine, spans: WindowSpan[], reveal: boolean): LineItem {
  const lineEnd = line.byte_start + line.bytes.length;
  const slice = (from: number, to: number) => line.bytes.subarray(from - line.byte_start, to - line.byte_start).toString('utf8');
  let text = '';
  let pos = line.byte_start;
  let lastStart = 0;
  const shown: LineItem['spans'] = [];
  for (const s of spans) {
    if (s.end_offset <= line.byte_start || s.start_offset >= line.byte_end) continue;
    const from = Math.max(s.start_offset, line.byte_start);
    const to = Math.min(s.end_offset, lineEnd);
    if (from >= pos) {
      if (from > pos) text += slice(pos, Math.min(from, lineEnd));
      lastStart = text.length;
      // Masked even when kept: the window shows values only to whoever may reveal them.
      text += reveal ? slice(from, Math.max(from, to)) : maskedForm(s.pii_type, s.original_value, s.replacement);
      pos = Math.max(pos, to, from);
    } else if (reveal && to > pos) {
      // Overlaps the span before it: the shown region grows to cover both.
      text += slice(pos, to);
      pos = to;
    }
    shown.push({
      span_id: s.id,
      type: s.pii_type,
      start: lastStart,
      end: text.length,
      value_id: s.value_id,
      decision: s.decision,
      source: s.source ?? 'detector',
    });
  }
  if (pos < lineEnd) text += slice(pos, lineEnd);
  return {
    number: line.number,
    byte_start: line.byte_start,
    byte_end: line.byte_end,
    text,
    spans: shown,
    ...(line.truncated && { truncated: true }),
  };
}

function readCursor(cursor: string, filter: string): [number, string] {
  const decoded = decodeCursor(cursor, isValueCursor);
  if (decoded.f !== filter)
    throw new DomainError(ErrorCode.INVALID_CURSOR, 'the cursor belongs to other filters; repeat the filters it was made with');
  return [decoded.c, decoded.v];
}

function isValueCursor(value: unknown): value is ValueCursor {
  const c = value as Partial<ValueCursor> | null;
  return c !== null && typeof c === 'object' && typeof c.f === 'string' && Number.isSafeInteger(c.c) && typeof c.v === 'string';
}

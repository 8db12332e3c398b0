import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, DB, Db, GroupCommit, PiiSpanRepository } from '@tftsr/db';
import { grants, Principal } from '../auth/scopes.decorator';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { DomainError, ErrorCode } from '../common/domain-error';
import { PiiSpanListQuery, PiiSpanListResponse, toPiiSpanResponse } from './log-file-review.dto';
import { LogFilesService } from './log-files.service';

const DEFAULT_LIMIT = 100;

interface SpanCursor {
  /** The filter the cursor was made with, so that it cannot page another listing. */
  f: string;
  s: number;
  i: string;
}

/**
 * The review listing. Values are masked; `reveal=true` shows the originals to a key holding pii:reveal, and
 * the reveal is audited in the transaction that reads them, so the audit names exactly the values shown.
 */
@Injectable()
export class PiiSpansService {
  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly logFiles: LogFilesService,
    private readonly spans: PiiSpanRepository,
  ) {}

  async list(logFileId: string, query: PiiSpanListQuery, caller: Principal): Promise<PiiSpanListResponse> {
    const reveal = query.reveal === true;
    if (reveal && !grants(caller.scopes, 'pii:reveal')) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'revealing original values needs the pii:reveal scope', {
        missing_scopes: ['pii:reveal'],
      });
    }
    const types = query.pii_type?.length ? [...new Set(query.pii_type)].sort() : undefined;
    const filter = types?.join(',') ?? '';
    const after = query.cursor === undefined ? undefined : readCursor(query.cursor, filter);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const page = () => {
      this.logFiles.getOrThrow(logFileId);
      const rows = this.spans.listPage(logFileId, { types, after, limit: limit + 1 });
      const items = rows.slice(0, limit);
      const last = items[items.length - 1];
      return { items, next: rows.length > limit ? encodeCursor({ f: filter, s: last.start_offset, i: last.id }) : null };
    };
    if (!reveal) {
      const { items, next } = page();
      return { items: items.map((row) => toPiiSpanResponse(row, false)), next_cursor: next };
    }
    return this.group.run(() => {
      const { items, next } = page();
      const revealed = items.filter((row) => row.original_value !== '').map((row) => row.id);
      if (revealed.length > 0) {
        this.audit.append({
          action: 'reveal_pii',
          entity_type: 'log_file',
          entity_id: logFileId,
          user_id: caller.name,
          details: { span_ids: revealed, count: revealed.length },
        });
      }
      return { items: items.map((row) => toPiiSpanResponse(row, true)), next_cursor: next };
    });
  }
}

function readCursor(cursor: string, filter: string): [number, string] {
  const decoded = decodeCursor(cursor, isSpanCursor);
  if (decoded.f !== filter)
    throw new DomainError(ErrorCode.INVALID_CURSOR, 'the cursor belongs to another pii_type filter; repeat the filter it was made with');
  return [decoded.s, decoded.i];
}

function isSpanCursor(value: unknown): value is SpanCursor {
  const c = value as Partial<SpanCursor> | null;
  return c !== null && typeof c === 'object' && typeof c.f === 'string' && Number.isSafeInteger(c.s) && typeof c.i === 'string';
}

import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from '@tftsr/db';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { toDbTime } from '../common/validation';
import { AuditListQuery, AuditListResponse, AuditVerifyResponse, toAuditEntryResponse } from './audit.dto';

const DEFAULT_LIMIT = 50;

@Injectable()
export class AuditService {
  constructor(private readonly audit: AuditLogRepository) {}

  list(query: AuditListQuery): AuditListResponse {
    const limit = query.limit ?? DEFAULT_LIMIT;
    const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isAuditCursor).before;
    const rows = this.audit.list({
      action: query.action,
      entity_type: query.entity_type,
      entity_id: query.entity_id,
      user_id: query.user_id,
      from: toDbTime(query.from),
      to: toDbTime(query.to),
      limit: limit + 1,
      before,
    });
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? encodeCursor({ before: page[page.length - 1].position }) : null;
    return { items: page.map(toAuditEntryResponse), next_cursor: next };
  }

  verify(): AuditVerifyResponse {
    const result = this.audit.verify();
    return result.intact
      ? { intact: true, entries: result.entries, head_hash: result.head_hash }
      : { intact: false, entries: result.entries, head_hash: null, first_broken: result.first_broken };
  }
}

function isAuditCursor(value: unknown): value is { before: number } {
  const before = (value as { before?: unknown } | null)?.before;
  return typeof before === 'number' && Number.isSafeInteger(before) && before > 0;
}

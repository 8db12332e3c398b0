import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../database';
import { readSnapshot } from '../database';
import { newId, toDbTimestamp } from '../ids';
import type { AuditAction } from '../audit-actions';
import type { AuditEntry } from '../models';

export interface NewAuditEntry {
  action: AuditAction;
  entity_type: string;
  entity_id: string;
  /** The API key's name; the seed's 'local' for the command-line tool. */
  user_id?: string;
  /** Ids and hashes only: never content, PII or secrets. */
  details?: Record<string, unknown>;
}

/** A record carried over from elsewhere (the desktop app's timeline): its own action, id and time, kept as they are. */
export interface CarriedOverAuditEntry extends Omit<NewAuditEntry, 'action'> {
  action: string;
  id: string;
  timestamp: string;
}

export type ChainVerification =
  | { intact: true; entries: number; head_hash: string }
  | { intact: false; entries: number; first_broken: { id: string | null; position: number; reason: string } };

export interface AuditListQuery {
  action?: string;
  entity_type?: string;
  entity_id?: string;
  user_id?: string;
  /** Inclusive lower and exclusive upper bound on `timestamp`, in the seed's TEXT format. */
  from?: string;
  to?: string;
  limit: number;
  /** Only entries written before this position (the `position` of the last entry of the previous page). */
  before?: number;
}

/** An entry and its place in the chain (its rowid), newest first in listings. */
export type PositionedAuditEntry = AuditEntry & { position: number };

type ChainRow = Pick<
  AuditEntry,
  'id' | 'timestamp' | 'action' | 'entity_type' | 'entity_id' | 'user_id' | 'details' | 'prev_hash' | 'entry_hash'
>;

/**
 * The tamper-evident audit trail. Each entry's HMAC covers the previous entry's hash and its own fields,
 * and a head row records the length and the end of the chain, so that cutting off its tail shows too.
 */
export class AuditLogRepository {
  private readonly insertStmt;
  private readonly listChainStmt;
  private readonly readHeadStmt;
  private readonly countStmt;
  private readonly writeHeadStmt;
  private readonly setHashesStmt;
  private readonly listStmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(
    private readonly db: Db,
    private readonly hmacKey: Buffer,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO audit_log (id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash)
       VALUES (@id, @timestamp, @action, @entity_type, @entity_id, @user_id, @details, @prev_hash, @entry_hash)`,
    );
    this.listChainStmt = db.prepare(
      `SELECT rowid AS position, id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash
       FROM audit_log ORDER BY rowid`,
    );
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM audit_log`);
    this.readHeadStmt = db.prepare(`SELECT entry_count, head_hash, mac FROM audit_head WHERE id = 1`);
    this.writeHeadStmt = db.prepare(
      `INSERT INTO audit_head (id, entry_count, head_hash, mac) VALUES (1, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET entry_count = excluded.entry_count, head_hash = excluded.head_hash, mac = excluded.mac`,
    );
    this.setHashesStmt = db.prepare(`UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE rowid = ?`);
  }

  /** How many entries the log holds. */
  count(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  /** Appends one entry. Call it inside the write transaction of the change it records. */
  append(entry: NewAuditEntry): AuditEntry {
    return this.write(entry);
  }

  /** Appends a record carried over from elsewhere, whose action is not one of ours (see AUDIT_ACTIONS). */
  appendCarriedOver(entry: CarriedOverAuditEntry): AuditEntry {
    return this.write(entry);
  }

  private write(entry: Omit<CarriedOverAuditEntry, 'id' | 'timestamp'> & { id?: string; timestamp?: string }): AuditEntry {
    if (!this.db.inTransaction) {
      throw new Error('audit entries are written in the transaction of the change they record');
    }
    const head = this.readHead();
    const row: ChainRow = {
      id: entry.id ?? newId(),
      timestamp: entry.timestamp ?? toDbTimestamp(),
      action: entry.action,
      entity_type: entry.entity_type,
      entity_id: entry.entity_id,
      user_id: entry.user_id ?? 'local',
      details: entry.details === undefined ? null : JSON.stringify(entry.details),
      prev_hash: head?.head_hash ?? '',
      entry_hash: '',
    };
    row.entry_hash = this.entryHash(row);
    this.insertStmt.run(row);
    this.writeHead((head?.entry_count ?? 0) + 1, row.entry_hash);
    return row;
  }

  /** Walks the chain in insertion order and names the first entry that does not fit. */
  /**
   * The chain and its head, read in one snapshot: on a live database an entry appended between reading the chain
   * and reading the head made an intact chain look broken.
   */
  verify(): ChainVerification {
    return readSnapshot(this.db, () => this.verifySnapshot());
  }

  private verifySnapshot(): ChainVerification {
    let prev = '';
    let position = 0;
    for (const row of this.listChainStmt.iterate() as IterableIterator<ChainRow>) {
      position += 1;
      const broken = (reason: string): ChainVerification => ({
        intact: false,
        entries: position,
        first_broken: { id: row.id, position, reason },
      });
      if (row.prev_hash !== prev) return broken('prev_hash does not match the previous entry: an entry was removed, reordered or inserted');
      if (!this.sameHash(row.entry_hash, this.entryHash(row))) return broken('entry_hash does not match the entry: it was edited');
      prev = row.entry_hash;
    }
    const head = this.readHead();
    const headProblem = this.checkHead(head, position, prev);
    if (headProblem) return { intact: false, entries: position, first_broken: { id: null, position: position + 1, reason: headProblem } };
    return { intact: true, entries: position, head_hash: prev };
  }

  /**
   * The trail of one issue, oldest first: entries about the issue itself, about its log files, and those whose
   * details name it (5-Whys, documents, publications). For the documents' timelines; bounded by `limit`.
   */
  listForIssue(issueId: string, limit: number): (PositionedAuditEntry & { file_name: string | null })[] {
    let stmt = this.listStmts.get('issue-trail');
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT a.rowid AS position, a.*, lf.file_name
         FROM audit_log a LEFT JOIN log_files lf ON lf.id = a.entity_id
         WHERE a.entity_id = @issue OR lf.issue_id = @issue
            OR (json_valid(a.details) AND json_extract(a.details, '$.issue_id') = @issue)
         ORDER BY a.rowid LIMIT @limit`,
      );
      this.listStmts.set('issue-trail', stmt);
    }
    return stmt.all({ issue: issueId, limit }) as (PositionedAuditEntry & { file_name: string | null })[];
  }

  /** Newest first, filtered; every filter is exact, and the time range is honoured (the desktop app ignored it). */
  list(query: AuditListQuery): PositionedAuditEntry[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit };
    for (const column of ['action', 'entity_type', 'entity_id', 'user_id'] as const) {
      if (query[column] === undefined) continue;
      where.push(`${column} = @${column}`);
      params[column] = query[column];
    }
    if (query.from !== undefined) {
      where.push('timestamp >= @from');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('timestamp < @to');
      params.to = query.to;
    }
    if (query.before !== undefined) {
      where.push('rowid < @before');
      params.before = query.before;
    }
    const sql = `SELECT rowid AS position, id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash
       FROM audit_log WHERE ${where.join(' AND ') || '1'} ORDER BY rowid DESC LIMIT @limit`;
    let stmt = this.listStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.listStmts.set(sql, stmt);
    }
    return stmt.all(params) as PositionedAuditEntry[];
  }

  /**
   * Re-signs the whole chain under a new key, for `db rekey` (the HMAC key derives from the database key).
   * It refuses a chain that does not verify under the current key, so a rekey cannot launder tampering.
   * Returns a repository bound to the new key. Call it inside a write transaction.
   */
  rechain(newHmacKey: Buffer): AuditLogRepository {
    const check = this.verify();
    if (!check.intact) throw new Error(`the audit chain is broken at entry ${check.first_broken.position}: ${check.first_broken.reason}`);
    const next = new AuditLogRepository(this.db, newHmacKey);
    let prev = '';
    let count = 0;
    const rows = this.listChainStmt.all() as (ChainRow & { position: number })[];
    for (const row of rows) {
      row.prev_hash = prev;
      row.entry_hash = next.entryHash(row);
      this.setHashesStmt.run(row.prev_hash, row.entry_hash, row.position);
      prev = row.entry_hash;
      count += 1;
    }
    if (count > 0) next.writeHead(count, prev);
    return next;
  }

  private checkHead(head: { entry_count: number; head_hash: string; mac: string } | undefined, count: number, last: string): string | null {
    if (!head) return count === 0 ? null : 'the chain head record is missing';
    if (!this.sameHash(head.mac, this.headMac(head.entry_count, head.head_hash))) return 'the chain head record was edited';
    if (head.entry_count !== count || head.head_hash !== last) {
      return `the chain ends after ${count} entries, but ${head.entry_count} were written: entries were removed from its end`;
    }
    return null;
  }

  private readHead(): { entry_count: number; head_hash: string; mac: string } | undefined {
    return this.readHeadStmt.get() as { entry_count: number; head_hash: string; mac: string } | undefined;
  }

  private writeHead(count: number, headHash: string): void {
    this.writeHeadStmt.run(count, headHash, this.headMac(count, headHash));
  }

  private entryHash(row: ChainRow): string {
    // A JSON array, not a joined string, so that no field's content can shift into its neighbour.
    const fields = [row.prev_hash, row.id, row.timestamp, row.action, row.entity_type, row.entity_id, row.user_id, row.details];
    return createHmac('sha256', this.hmacKey).update(JSON.stringify(fields)).digest('hex');
  }

  private headMac(count: number, headHash: string): string {
    return createHmac('sha256', this.hmacKey)
      .update(JSON.stringify(['head', count, headHash]))
      .digest('hex');
  }

  private sameHash(a: string, b: string): boolean {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  }
}

import type { Db } from '../database';
import { toDbTimestamp } from '../ids';

export type StepState = 'pending' | 'running' | 'done' | 'failed';
export type ProcessingStatus = 'pending' | 'hashing' | 'scanning' | 'ready' | 'failed';

export interface LogFileProcessing {
  log_file_id: string;
  hash_state: StepState;
  scan_state: StepState;
  scan_progress: number;
  failure_reason: string | null;
  pii_counts: string | null;
  updated_at: string;
}

/** The one status a client sees, derived from the two steps so that it can never disagree with them. */
export function processingStatus(row: Pick<LogFileProcessing, 'hash_state' | 'scan_state'>): ProcessingStatus {
  if (row.hash_state === 'failed' || row.scan_state === 'failed') return 'failed';
  if (row.hash_state === 'done' && row.scan_state === 'done') return 'ready';
  if (row.scan_state === 'running') return 'scanning';
  if (row.hash_state === 'running') return 'hashing';
  return row.hash_state === 'done' ? 'scanning' : 'pending';
}

export class LogFileProcessingRepository {
  private readonly createStmt;
  private readonly getStmt;
  private readonly setHashStmt;
  private readonly setScanStmt;
  private readonly progressStmt;
  private readonly failStmt;

  constructor(db: Db) {
    this.createStmt = db.prepare(`INSERT INTO log_file_processing (log_file_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING`);
    this.getStmt = db.prepare(`SELECT * FROM log_file_processing WHERE log_file_id = ?`);
    this.setHashStmt = db.prepare(`UPDATE log_file_processing SET hash_state = ?, updated_at = ? WHERE log_file_id = ?`);
    this.setScanStmt = db.prepare(
      `UPDATE log_file_processing SET scan_state = ?, scan_progress = ?, pii_counts = coalesce(?, pii_counts), updated_at = ? WHERE log_file_id = ?`,
    );
    this.progressStmt = db.prepare(
      `UPDATE log_file_processing SET scan_progress = ?, updated_at = ? WHERE log_file_id = ? AND scan_state = 'running'`,
    );
    this.failStmt = db.prepare(
      `UPDATE log_file_processing SET hash_state = CASE WHEN ? = 'hash' THEN 'failed' ELSE hash_state END,
         scan_state = CASE WHEN ? = 'scan' THEN 'failed' ELSE scan_state END, failure_reason = ?, updated_at = ? WHERE log_file_id = ?`,
    );
  }

  create(logFileId: string): void {
    this.createStmt.run(logFileId, toDbTimestamp());
  }

  get(logFileId: string): LogFileProcessing | undefined {
    return this.getStmt.get(logFileId) as LogFileProcessing | undefined;
  }

  setHashState(logFileId: string, state: StepState): void {
    this.setHashStmt.run(state, toDbTimestamp(), logFileId);
  }

  setScanState(logFileId: string, state: StepState, progress: number, counts?: Record<string, number>): void {
    this.setScanStmt.run(state, progress, counts ? JSON.stringify(counts) : null, toDbTimestamp(), logFileId);
  }

  setScanProgress(logFileId: string, progress: number): void {
    this.progressStmt.run(progress, toDbTimestamp(), logFileId);
  }

  fail(logFileId: string, step: 'hash' | 'scan', reason: string): void {
    this.failStmt.run(step, step, reason, toDbTimestamp(), logFileId);
  }
}

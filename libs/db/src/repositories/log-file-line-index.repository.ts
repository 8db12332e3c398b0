import type { Db } from '../database';

export interface LineCheckpoint {
  line_number: number;
  byte_start: number;
}

/** A sparse index of line starts per file (log_file_line_index), where reading a line range starts. */
export class LogFileLineIndexRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      put: db.prepare(`INSERT OR REPLACE INTO log_file_line_index (log_file_id, line_number, byte_start) VALUES (?, ?, ?)`),
      clear: db.prepare(`DELETE FROM log_file_line_index WHERE log_file_id = ?`),
      atLine: db.prepare(
        `SELECT line_number, byte_start FROM log_file_line_index
         WHERE log_file_id = ? AND line_number <= ? ORDER BY line_number DESC LIMIT 1`,
      ),
      atByte: db.prepare(
        `SELECT line_number, byte_start FROM log_file_line_index
         WHERE log_file_id = ? AND byte_start <= ? ORDER BY line_number DESC LIMIT 1`,
      ),
    };
  }

  /** `[line, byte]` pairs: line `line` starts at byte `byte`. */
  putCheckpoints(logFileId: string, checkpoints: [number, number][]): void {
    for (const [line, byte] of checkpoints) this.stmts.put.run(logFileId, line, byte);
  }

  clear(logFileId: string): void {
    this.stmts.clear.run(logFileId);
  }

  /** The indexed line at or before `line`, where reading starts. */
  checkpoint(logFileId: string, line: number): LineCheckpoint | undefined {
    return this.stmts.atLine.get(logFileId, line) as LineCheckpoint | undefined;
  }

  /** The indexed line start at or before byte `offset`. */
  checkpointAtByte(logFileId: string, offset: number): LineCheckpoint | undefined {
    return this.stmts.atByte.get(logFileId, offset) as LineCheckpoint | undefined;
  }
}

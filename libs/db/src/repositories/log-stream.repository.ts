import type { Db } from '../database';
import { newId, toDbTimestamp } from '../ids';

export type LogStreamSource = 'loki' | 'bulk' | 'lines';
export type LogChunkState = 'open' | 'closing' | 'closed';

/** One row of log_streams (migration 037). */
export interface LogStreamRow {
  id: string;
  issue_id: string;
  name: string;
  source: LogStreamSource;
  created_at: string;
}

/** One row of log_stream_chunks (migration 037). */
export interface LogChunkRow {
  id: string;
  stream_id: string;
  seq: number;
  state: LogChunkState;
  bytes: number;
  lines: number;
  opened_at: string;
  last_append_ms: number;
  closed_at: string | null;
  log_file_id: string | null;
  /** The committed length of the chunk's append file (migration 040); null: no file (lines, if any, in parts). */
  file_bytes: number | null;
}

/**
 * Streams of shipped lines and their rolling chunks. An open chunk's lines are in its append file (libs/storage
 * chunk-file.ts), whose committed length is `file_bytes`; chunks opened before migration 040 may also hold parts
 * (log_stream_parts), which come first.
 */
export class LogStreamRepository {
  private readonly findStreamStmt;
  private readonly insertStreamStmt;
  private readonly openChunkStmt;
  private readonly nextSeqStmt;
  private readonly insertChunkStmt;
  private readonly findOpenChunkStmt;
  private readonly growFileStmt;
  private readonly fileChunksStmt;
  private readonly getChunkStmt;
  private readonly setStateStmt;
  private readonly partsStmt;
  private readonly closeStmt;
  private readonly deletePartsStmt;
  private readonly dueStmt;
  private readonly pendingBytesStmt;
  private readonly streamsForIssueStmt;
  private readonly chunksForIssueStmt;
  private readonly getStreamStmt;
  private readonly hasOpenChunkStmt;
  private readonly countFilesStmt;

  constructor(db: Db) {
    this.findStreamStmt = db.prepare(`SELECT * FROM log_streams WHERE issue_id = ? AND name = ?`);
    this.insertStreamStmt = db.prepare(
      `INSERT INTO log_streams (id, issue_id, name, source, created_at) VALUES (@id, @issue_id, @name, @source, @created_at)`,
    );
    this.openChunkStmt = db.prepare(`SELECT * FROM log_stream_chunks WHERE stream_id = ? AND state = 'open'`);
    this.nextSeqStmt = db.prepare(`SELECT coalesce(max(seq), 0) + 1 AS seq FROM log_stream_chunks WHERE stream_id = ?`);
    this.insertChunkStmt = db.prepare(
      `INSERT INTO log_stream_chunks (id, stream_id, seq, state, bytes, lines, opened_at, last_append_ms)
       VALUES (@id, @stream_id, @seq, 'open', 0, 0, @opened_at, @last_append_ms)`,
    );
    this.findOpenChunkStmt = db.prepare(
      `SELECT c.* FROM log_stream_chunks c JOIN log_streams s ON s.id = c.stream_id WHERE s.issue_id = ? AND s.name = ? AND c.state = 'open'`,
    );
    // Only from the length the caller wrote after: an append whose predecessor in the file was not committed fails.
    this.growFileStmt = db.prepare(
      `UPDATE log_stream_chunks SET bytes = bytes + @bytes, lines = lines + @lines, last_append_ms = @now, file_bytes = @to
       WHERE id = @id AND state = 'open' AND coalesce(file_bytes, 0) = @from RETURNING *`,
    );
    this.fileChunksStmt = db.prepare(
      `SELECT id, state, file_bytes FROM log_stream_chunks WHERE state IN ('open', 'closing') AND file_bytes IS NOT NULL`,
    );
    this.getChunkStmt = db.prepare(`SELECT * FROM log_stream_chunks WHERE id = ?`);
    this.setStateStmt = db.prepare(`UPDATE log_stream_chunks SET state = ? WHERE id = ? AND state = ?`);
    this.partsStmt = db.prepare(`SELECT data FROM log_stream_parts WHERE chunk_id = ? ORDER BY seq`);
    this.closeStmt = db.prepare(
      `UPDATE log_stream_chunks SET state = 'closed', closed_at = ?, log_file_id = ? WHERE id = ? AND state = 'closing'`,
    );
    this.deletePartsStmt = db.prepare(`DELETE FROM log_stream_parts WHERE chunk_id = ?`);
    this.dueStmt = db.prepare(
      `SELECT * FROM log_stream_chunks WHERE state = 'closing' OR (state = 'open' AND (last_append_ms <= ? OR bytes >= ?)) ORDER BY last_append_ms`,
    );
    this.pendingBytesStmt = db.prepare(
      `SELECT (SELECT coalesce(sum(bytes), 0) FROM log_stream_chunks WHERE state IN ('open', 'closing'))
            + (SELECT coalesce(sum(f.file_size), 0) FROM log_files f JOIN log_file_processing p ON p.log_file_id = f.id
               WHERE p.scan_state IN ('pending', 'running') AND p.hash_state <> 'failed') AS bytes`,
    );
    this.getStreamStmt = db.prepare(`SELECT * FROM log_streams WHERE id = ?`);
    this.hasOpenChunkStmt = db.prepare(
      `SELECT 1 FROM log_stream_chunks c JOIN log_streams s ON s.id = c.stream_id WHERE s.issue_id = ? AND s.name = ? AND c.state = 'open'`,
    );
    // A closed chunk is its log file (counted once, as a log file); open and closing chunks are files to be.
    this.countFilesStmt = db.prepare(
      `SELECT (SELECT count(*) FROM log_files WHERE issue_id = @issue_id)
            + (SELECT count(*) FROM log_stream_chunks c JOIN log_streams s ON s.id = c.stream_id
               WHERE s.issue_id = @issue_id AND c.state IN ('open', 'closing')) AS n`,
    );
    this.streamsForIssueStmt = db.prepare(`SELECT * FROM log_streams WHERE issue_id = ? ORDER BY created_at, name`);
    this.chunksForIssueStmt = db.prepare(
      `SELECT c.* FROM log_stream_chunks c JOIN log_streams s ON s.id = c.stream_id WHERE s.issue_id = ? ORDER BY c.stream_id, c.seq`,
    );
  }

  /** The stream, made on first use; the boolean says whether it is new (for the audit). */
  findOrCreateStream(issueId: string, name: string, source: LogStreamSource): { stream: LogStreamRow; created: boolean } {
    const found = this.findStreamStmt.get(issueId, name) as LogStreamRow | undefined;
    if (found) return { stream: found, created: false };
    const stream: LogStreamRow = { id: newId(), issue_id: issueId, name, source, created_at: toDbTimestamp() };
    this.insertStreamStmt.run(stream);
    return { stream, created: true };
  }

  /** The open chunk of the issue's stream `name`, if any. */
  findOpenChunk(issueId: string, name: string): LogChunkRow | undefined {
    return this.findOpenChunkStmt.get(issueId, name) as LogChunkRow | undefined;
  }

  /** A new open chunk of the stream, with the id its append file was created under. */
  openChunk(streamId: string, id: string, nowMs: number): void {
    const { seq } = this.nextSeqStmt.get(streamId) as { seq: number };
    this.insertChunkStmt.run({ id, stream_id: streamId, seq, opened_at: toDbTimestamp(new Date(nowMs)), last_append_ms: nowMs });
  }

  /**
   * Records an append of whole lines written to the chunk's file, which now ends at `to`: the chunk must be open
   * and its committed length `from` (0: no file yet; the new file's header comes before the first record). Returns the chunk after it, or undefined (nothing changed) otherwise.
   */
  appendToFile(chunkId: string, from: number, to: number, bytes: number, lines: number, nowMs: number): LogChunkRow | undefined {
    return this.growFileStmt.get({ id: chunkId, from, to, bytes, lines, now: nowMs }) as LogChunkRow | undefined;
  }

  /** Open and closing chunks that have an append file, with its committed length. */
  listChunkFiles(): { id: string; state: LogChunkState; file_bytes: number }[] {
    return this.fileChunksStmt.all() as { id: string; state: LogChunkState; file_bytes: number }[];
  }

  getChunk(id: string): LogChunkRow | undefined {
    return this.getChunkStmt.get(id) as LogChunkRow | undefined;
  }

  /** open -> closing: later appends start a new chunk. False when the chunk was not open. */
  markClosing(id: string): boolean {
    return this.setStateStmt.run('closing', id, 'open').changes === 1;
  }

  /** Lines appended before migration 040, kept in the database; empty for every chunk opened since. */
  content(chunkId: string): Buffer {
    return Buffer.concat((this.partsStmt.all(chunkId) as { data: Buffer }[]).map((p) => p.data));
  }

  /** closing -> closed, pointing at its log file; parts (if any) go, since the blob now holds them. */
  markClosed(id: string, logFileId: string, at: string): boolean {
    const done = this.closeStmt.run(at, logFileId, id).changes === 1;
    if (done) this.deletePartsStmt.run(id);
    return done;
  }

  /** Chunks to close now: idle since `idleBeforeMs`, at or past `maxBytes`, or left closing by a crash. */
  listDue(idleBeforeMs: number, maxBytes: number): LogChunkRow[] {
    return this.dueStmt.all(idleBeforeMs, maxBytes) as LogChunkRow[];
  }

  /** Bytes waiting for a scan: in chunks not yet closed, and in log files whose scan has not finished. */
  backlogBytes(): number {
    return (this.pendingBytesStmt.get() as { bytes: number }).bytes;
  }

  listForIssue(issueId: string): { stream: LogStreamRow; chunks: LogChunkRow[] }[] {
    const chunks = this.chunksForIssueStmt.all(issueId) as LogChunkRow[];
    return (this.streamsForIssueStmt.all(issueId) as LogStreamRow[]).map((stream) => ({
      stream,
      chunks: chunks.filter((c) => c.stream_id === stream.id),
    }));
  }

  /** Whether the issue's stream `name` has an open chunk, so an append to it adds no file. */
  hasOpenChunk(issueId: string, name: string): boolean {
    return this.hasOpenChunkStmt.get(issueId, name) !== undefined;
  }

  /** What uploads.max_files_per_issue counts: the issue's log files plus its chunks not yet closed into one. */
  countFilesForIssue(issueId: string): number {
    return (this.countFilesStmt.get({ issue_id: issueId }) as { n: number }).n;
  }

  getStream(id: string): LogStreamRow | undefined {
    return this.getStreamStmt.get(id) as LogStreamRow | undefined;
  }
}

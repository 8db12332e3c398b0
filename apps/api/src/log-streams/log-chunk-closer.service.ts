import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AuditLogRepository, GroupCommit, LogChunkRow, LogStreamRepository, newId, toDbTimestamp } from '@tftsr/db';
import { BlobStore, ChunkFileDamagedError, ChunkFiles } from '@tftsr/storage';
import { LogFileIntake } from '../log-files/log-file-intake';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { SettingsService } from '../settings/settings.service';
import { LogChunkWriter } from './log-chunk-writer.service';

/**
 * Turns open chunks into log files. A chunk closes at `ingest.chunk_max_bytes` or after
 * `ingest.chunk_idle_seconds`: its file is read and authenticated, its bytes become an encrypted blob and, in one
 * transaction, a log_files row with its hash and detect_pii outbox jobs and its audit entry; the file is removed
 * after that commit.
 */
@Injectable()
export class LogChunkCloser {
  private readonly logger = new Logger('LogChunks');
  private readonly closing = new Set<string>();
  private readonly reportedDamage = new Set<string>();

  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly relay: OutboxRelay,
    private readonly repo: LogStreamRepository,
    private readonly intake: LogFileIntake,
    private readonly group: GroupCommit,
    @Inject(ChunkFiles) private readonly files: ChunkFiles,
    private readonly writer: LogChunkWriter,
  ) {}

  /** The chunks to close: idle, full, or left closing by a crash. */
  listDue(now: number): LogChunkRow[] {
    const idleMs = this.settings.value('ingest.chunk_idle_seconds') * 1000;
    return this.repo.listDue(now - idleMs, this.settings.value('ingest.chunk_max_bytes'));
  }

  /**
   * open -> closing -> a blob -> closed with its log file, jobs and audit entry in one transaction, then the
   * append file goes. Safe to rerun. Resolves to whether this call recorded the log file (even if removing the
   * append file then failed); a failure is logged, and the next sweep retries.
   */
  async close(chunkId: string): Promise<boolean> {
    if (this.closing.has(chunkId)) return false;
    this.closing.add(chunkId);
    let storedPath: string | undefined;
    let recorded = false;
    try {
      const chunk = this.repo.getChunk(chunkId);
      if (!chunk || chunk.state === 'closed') return false;
      // Between batches, so that no batch is appending to it; shares the group commit with the requests under way.
      if (chunk.state === 'open')
        await this.writer.exclusive(async () => {
          await this.group.run(() => this.repo.markClosing(chunkId));
          await this.writer.forget(chunkId);
        });
      const closing = this.repo.getChunk(chunkId);
      if (!closing || closing.state !== 'closing') return false;
      const stored = await this.blobs.write(Readable.from(await this.content(closing)));
      storedPath = stored.path;
      recorded = await this.group.run(() => this.record(chunkId, stored));
      if (recorded) {
        storedPath = undefined;
        this.relay.kick();
        // Only after the commit: a crash before this leaves an orphan file, removed at the next start.
        await this.files.remove(chunkId);
      }
    } catch (err) {
      if (err instanceof ChunkFileDamagedError) {
        if (!this.reportedDamage.has(chunkId)) this.logger.error(`closing chunk ${chunkId} failed, retried by each sweep: ${err.message}`);
        this.reportedDamage.add(chunkId);
      } else {
        this.logger.warn(`closing chunk ${chunkId} failed, the next sweep retries: ${(err as Error).message}`);
      }
    } finally {
      if (storedPath) await this.blobs.remove(storedPath).catch(() => undefined);
      this.closing.delete(chunkId);
    }
    return recorded;
  }

  /** A closing chunk's lines: parts from before migration 040, then its file's records, unjoined (8 MiB less to copy). */
  private async content(chunk: LogChunkRow): Promise<Buffer[]> {
    const lines = [this.repo.content(chunk.id)];
    if (chunk.file_bytes !== null) {
      await this.files.recover(chunk.id, chunk.file_bytes);
      lines.push(...(await this.files.readRecords(chunk.id, chunk.file_bytes)));
    }
    const bytes = lines.reduce((n, b) => n + b.length, 0);
    if (bytes !== chunk.bytes) {
      throw new ChunkFileDamagedError(chunk.id, `its records hold ${bytes} bytes of lines, ${chunk.bytes} are committed`);
    }
    return lines.filter((b) => b.length > 0);
  }

  private record(chunkId: string, stored: { path: string; size: number }): boolean {
    const chunk = this.repo.getChunk(chunkId);
    if (!chunk || chunk.state !== 'closing') return false;
    const stream = this.repo.getStream(chunk.stream_id);
    if (!stream) return false;
    const uploadedAt = toDbTimestamp();
    const fileId = newId();
    const jobs = this.intake.insert({
      id: fileId,
      issue_id: stream.issue_id,
      file_name: chunkFileName(stream.name, chunk.seq),
      file_path: stored.path,
      file_size: stored.size,
      mime_type: 'text/plain',
      content_hash: null,
      uploaded_at: uploadedAt,
      redacted: 0,
    });
    this.repo.markClosed(chunkId, fileId, uploadedAt);
    this.audit.append({
      action: 'close_log_chunk',
      entity_type: 'log_file',
      entity_id: fileId,
      details: {
        issue_id: stream.issue_id,
        stream_id: stream.id,
        chunk_id: chunkId,
        seq: chunk.seq,
        lines: chunk.lines,
        file_size: stored.size,
        jobs,
      },
    });
    return true;
  }
}

/** `<stream>-000001.log`, safe as a file name whatever the stream's labels hold. */
export function chunkFileName(stream: string, seq: number): string {
  const base =
    stream
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+/, '')
      .slice(0, 100) || 'stream';
  return `${base}-${String(seq).padStart(6, '0')}.log`;
}

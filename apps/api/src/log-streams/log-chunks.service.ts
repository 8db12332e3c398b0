import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AuditLogRepository, GroupCommit, LogChunkRow, LogStreamRepository, LogStreamSource, newId, toDbTimestamp } from '@tftsr/db';
import { BlobStore } from '@tftsr/storage';
import { DomainError, ErrorCode } from '../common/domain-error';
import { LogFileIntake } from '../log-files/log-file-intake';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { SettingsService } from '../settings/settings.service';
import { LogStreamResponse, toLogStreamResponse } from './log-streams.dto';

/** One shipper request's lines for one stream: already whole lines, each ending in \n. */
export interface StreamAppend {
  issueId: string;
  stream: string;
  source: LogStreamSource;
  data: Buffer;
  lines: number;
}

const SWEEP_INTERVAL_MS = 500;
const RETRY_AFTER_SECONDS = 1;
/** The backlog sum is one query over the unfinished files; reading it once per 100 ms bounds its cost under load. */
const BACKLOG_CACHE_MS = 100;
/**
 * Shipped lines: every request's lines are appended to the (issue, stream)'s open chunk inside the encrypted
 * database, and the 2xx goes only after that commit (synchronous = FULL). The shipper requests admitted at the
 * time share one transaction with each other and with uploads (GroupCommit, waiting at most
 * TFTSR_GROUP_COMMIT_WINDOW_MS for the last of them), so 64 senders cost a few fsyncs, not 64.
 * A chunk closes at `ingest.chunk_max_bytes` or after `ingest.chunk_idle_seconds`: its bytes become an encrypted
 * blob and, in one transaction, a log_files row with its hash and detect_pii outbox jobs and its audit entry.
 */
@Injectable()
export class LogChunksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogChunks');
  private readonly closing = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  private backlog?: { bytes: number; at: number };

  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly relay: OutboxRelay,
    private readonly repo: LogStreamRepository,
    private readonly intake: LogFileIntake,
    private readonly group: GroupCommit,
  ) {}

  onApplicationBootstrap(): void {
    // Chunks left open or half-closed by a crash are closed by the first sweep.
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /** 404 before any work, so a request for an unknown issue writes nothing. */
  assertIssueExists(issueId: string): void {
    this.intake.assertIssueExists(issueId);
  }

  listForIssue(issueId: string): LogStreamResponse[] {
    this.assertIssueExists(issueId);
    return this.repo.listForIssue(issueId).map(({ stream, chunks }) => toLogStreamResponse(stream, chunks));
  }

  /** 429 while too many bytes wait for a scan; shippers retry after Retry-After. */
  assertBacklogRoom(now = Date.now()): void {
    if (!this.backlog || now - this.backlog.at > BACKLOG_CACHE_MS) this.backlog = { bytes: this.repo.backlogBytes(), at: now };
    const max = this.settings.value('ingest.max_backlog_bytes');
    if (this.backlog.bytes > max) {
      throw new DomainError(
        ErrorCode.INGEST_BACKLOG_FULL,
        `${this.backlog.bytes} shipped bytes are waiting to be scanned (the limit is ${max}); retry after ${RETRY_AFTER_SECONDS} s`,
        { backlog_bytes: this.backlog.bytes, max_backlog_bytes: max, retry_after_seconds: RETRY_AFTER_SECONDS },
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
  }

  /**
   * For each (issue, stream) in order, the refusal when its lines would need a new file past
   * `uploads.max_files_per_issue`, else undefined. An append to a stream's open chunk needs no new file (the
   * chunk is counted already), so only a stream without one is refused; closes are never refused, so nothing
   * accepted is lost. Earlier entries that would open a file count against the later ones.
   */
  fileLimitRefusals(wanted: { issueId: string; stream: string }[]): (DomainError | undefined)[] {
    const limit = this.settings.value('uploads.max_files_per_issue');
    const opening = new Map<string, number>();
    const decided = new Map<string, DomainError | undefined>();
    return wanted.map(({ issueId, stream }) => {
      const key = `${issueId}\n${stream}`;
      if (decided.has(key)) return decided.get(key);
      let refusal: DomainError | undefined;
      if (!this.repo.hasOpenChunk(issueId, stream)) {
        const files = this.repo.countFilesForIssue(issueId) + (opening.get(issueId) ?? 0);
        if (files >= limit) refusal = tooManyFiles(issueId, stream, files, limit);
        else opening.set(issueId, (opening.get(issueId) ?? 0) + 1);
      }
      decided.set(key, refusal);
      return refusal;
    });
  }

  /**
   * Resolves once every append is committed: all of them or none (one request is never half written). A request
   * that fails inside the group commit (its issue deleted meanwhile, the file limit) is rolled back alone.
   */
  async append(appends: StreamAppend[], actor: string): Promise<void> {
    const nonEmpty = appends.filter((a) => a.data.length > 0);
    if (nonEmpty.length === 0) return;
    // Checked again inside the transaction; refusing here keeps a full issue's senders out of the group commit.
    const refusal = this.fileLimitRefusals(nonEmpty).find((r) => r !== undefined);
    if (refusal) throw refusal;
    const due = await this.group.run(() => this.write(nonEmpty, actor, this.settings.value('ingest.chunk_max_bytes')));
    this.backlog = undefined;
    for (const chunk of due) void this.close(chunk.id);
  }

  /**
   * Called when a shipper request is admitted: the group commit waits (at most TFTSR_GROUP_COMMIT_WINDOW_MS) for it.
   * The returned function, called once its appends are queued or it ends without any, stops the wait; calling it
   * again does nothing.
   */
  expect(): () => void {
    return this.group.expect();
  }

  /** One request's appends, inside the caller's transaction; returns the chunks that reached the size limit. */
  private write(appends: StreamAppend[], actor: string, max: number): LogChunkRow[] {
    const now = Date.now();
    const due: LogChunkRow[] = [];
    for (const a of appends) {
      const { stream, created } = this.repo.findOrCreateStream(a.issueId, a.stream, a.source);
      if (created) {
        this.audit.append({
          action: 'create_log_stream',
          entity_type: 'log_stream',
          entity_id: stream.id,
          user_id: actor,
          details: { issue_id: a.issueId, name: a.stream, source: a.source },
        });
      }
      const [refusal] = this.fileLimitRefusals([a]);
      if (refusal) throw refusal;
      const chunk = this.repo.append(stream.id, a.data, a.lines, now);
      // One entry per request and stream, never per line; the lines themselves stay out of the audit.
      this.audit.append({
        action: 'append_log_lines',
        entity_type: 'log_stream',
        entity_id: stream.id,
        user_id: actor,
        details: { issue_id: a.issueId, stream: a.stream, lines: a.lines, bytes: a.data.length, chunk_id: chunk.id },
      });
      if (chunk.bytes >= max) due.push(chunk);
    }
    return due;
  }

  /** Closes chunks that are idle, full, or were left closing by a crash. */
  async sweep(now = Date.now()): Promise<void> {
    const idleMs = this.settings.value('ingest.chunk_idle_seconds') * 1000;
    const due = this.repo.listDue(now - idleMs, this.settings.value('ingest.chunk_max_bytes'));
    for (const chunk of due) await this.close(chunk.id);
  }

  /** open -> closing -> a blob -> closed with its log file, jobs and audit entry in one transaction. Safe to rerun. */
  async close(chunkId: string): Promise<void> {
    if (this.closing.has(chunkId)) return;
    this.closing.add(chunkId);
    let storedPath: string | undefined;
    try {
      const chunk = this.repo.getChunk(chunkId);
      if (!chunk || chunk.state === 'closed') return;
      // Both steps share the group commit with the requests under way: a close costs no fsync of its own.
      if (chunk.state === 'open') await this.group.run(() => this.repo.markClosing(chunkId));
      const content = this.repo.content(chunkId);
      const stored = await this.blobs.write(Readable.from([content]));
      storedPath = stored.path;
      const recorded = await this.group.run(() => this.record(chunkId, stored));
      if (recorded) {
        storedPath = undefined;
        this.backlog = undefined;
        this.relay.kick();
      }
    } catch (err) {
      this.logger.warn(`closing chunk ${chunkId} failed, the next sweep retries: ${(err as Error).message}`);
    } finally {
      if (storedPath) await this.blobs.remove(storedPath).catch(() => undefined);
      this.closing.delete(chunkId);
    }
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

function tooManyFiles(issueId: string, stream: string, files: number, limit: number): DomainError {
  return new DomainError(
    ErrorCode.TOO_MANY_FILES,
    `issue ${issueId} already holds ${files} log files and open stream chunks (the limit, uploads.max_files_per_issue, is ${limit}): ` +
      `stream ${stream} cannot start a new chunk; lines already accepted are kept`,
    { limit, files, stream },
  );
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

import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AuditLogRepository,
  GroupCommit,
  LogChunkRow,
  LogStreamRepository,
  LogStreamSource,
  newId,
  ProcessLock,
  toDbTimestamp,
} from '@tftsr/db';
import type { ChunkAppendFile } from '@tftsr/storage';
import { BlobStore, ChunkFileDamagedError, ChunkFiles } from '@tftsr/storage';
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
/** Append files without an open chunk (a failed first append, a deleted issue, a crash after a close) go this often. */
const ORPHAN_SWEEP_INTERVAL_MS = 60_000;
const RETRY_AFTER_SECONDS = 1;
/** The backlog sum is one query over the unfinished files; reading it once per 100 ms bounds its cost under load. */
const BACKLOG_CACHE_MS = 100;

interface Queued {
  appends: StreamAppend[];
  actor: string;
  resolve: (due: LogChunkRow[]) => void;
  reject: (err: unknown) => void;
}

/** One append of a batch: where its record lies in its chunk's file. */
interface Placed {
  append: StreamAppend;
  chunkId: string;
  /** The chunk has no row yet: the first append to commit creates it. */
  isNew: boolean;
  /** The committed length its commit requires: where the record before it in the file ends (0: a new file). */
  after: number;
  to: number;
}

/**
 * Shipped lines. An open chunk's lines live outside the database, in an encrypted append-only file per chunk
 * (`{data_dir}/chunks/<chunk id>.open`, libs/storage chunk-file.ts); the database holds the chunk's committed
 * length (`file_bytes`), its byte and line counts and the audit entries. Requests are taken in batches, one batch
 * at a time: a batch waits (at most TFTSR_GROUP_COMMIT_WINDOW_MS) for the requests admitted meanwhile, appends
 * every request's lines to its chunk's file as one sealed record, fdatasyncs each file once (off the event loop),
 * then commits all requests through the group commit (each in its own savepoint, moving its chunk's committed
 * length from where its record starts to where it ends, with its audit entry), and only then answers. A request
 * whose commit fails leaves bytes past the committed length, which the next batch cuts off before appending; so
 * do the start (recovery) and the close.
 * A chunk closes at `ingest.chunk_max_bytes` or after `ingest.chunk_idle_seconds`: its file is read and
 * authenticated, its bytes become an encrypted blob and, in one transaction, a log_files row with its hash and
 * detect_pii outbox jobs and its audit entry; the file is removed after that commit.
 */
@Injectable()
export class LogChunksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LogChunks');
  private readonly closing = new Set<string>();
  private sweeper?: NodeJS.Timeout;
  private orphanSweeper?: NodeJS.Timeout;
  private backlog?: { bytes: number; at: number };
  /** Append files held open between batches, by chunk id. */
  private readonly open = new Map<string, ChunkAppendFile>();
  private queue: Queued[] = [];
  private expected = 0;
  private scheduled = false;
  private wake?: () => void;
  /** Batches, chunk state changes and orphan sweeps run one at a time, in this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly reportedDamage = new Set<string>();
  /** Held from the start to the shutdown: this process is the only writer of the append files. */
  private lock?: ProcessLock;

  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly relay: OutboxRelay,
    private readonly repo: LogStreamRepository,
    private readonly intake: LogFileIntake,
    private readonly group: GroupCommit,
    @Inject(ChunkFiles) private readonly files: ChunkFiles,
  ) {}

  /**
   * Cuts each open chunk's file back to its committed length (a torn tail was never acknowledged) and removes
   * append files without an open chunk. A file shorter than its committed length has lost acknowledged lines:
   * the start fails, naming the chunk, rather than serving on without them.
   */
  async onApplicationBootstrap(): Promise<void> {
    // One writer per append file: a second API process on this data directory would append to the same files from
    // its own view of their ends, and its start would cut off what this one has written but not yet committed.
    const lockPath = join(this.files.dir, 'writer.lock');
    this.lock = ProcessLock.tryAcquire(lockPath) ?? undefined;
    if (!this.lock) {
      throw new Error(
        `another API process already serves this data directory (it holds ${lockPath}): run one API process per data directory`,
      );
    }
    await this.recover();
    // Chunks left open or half-closed by a crash are closed by the first sweep.
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
    this.orphanSweeper = setInterval(() => void this.exclusive(() => this.sweepOrphans()).catch(() => undefined), ORPHAN_SWEEP_INTERVAL_MS);
    this.orphanSweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.orphanSweeper) clearInterval(this.orphanSweeper);
    await this.exclusive(async () => {
      for (const file of this.open.values()) await file.handle.close().catch(() => undefined);
      this.open.clear();
    }).catch(() => undefined);
    this.lock?.release();
  }

  /** See onApplicationBootstrap; exposed for tests. */
  async recover(): Promise<void> {
    await this.exclusive(async () => {
      for (const chunk of this.repo.listChunkFiles()) await this.files.recover(chunk.id, chunk.file_bytes);
      await this.sweepOrphans();
    });
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
   * Resolves once every append is durable and committed: all of them or none (one request is never half
   * written). A request that fails inside the group commit (its issue deleted meanwhile, the file limit) is
   * rolled back alone.
   */
  async append(appends: StreamAppend[], actor: string): Promise<void> {
    const nonEmpty = appends.filter((a) => a.data.length > 0);
    if (nonEmpty.length === 0) return;
    // The file limit is checked once in the batch (and again in the transaction for a new chunk), not here.
    const due = await new Promise<LogChunkRow[]>((resolve, reject) => {
      this.queue.push({ appends: nonEmpty, actor, resolve, reject });
      this.schedule();
    });
    this.backlog = undefined;
    for (const chunk of due) void this.close(chunk.id);
  }

  /**
   * Called when a shipper request is admitted: the next batch waits (at most TFTSR_GROUP_COMMIT_WINDOW_MS) for
   * it. The returned function, called once its appends are queued or it ends without any, stops the wait;
   * calling it again does nothing.
   */
  expect(): () => void {
    this.expected += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.expected -= 1;
      if (this.expected === 0) this.wake?.();
    };
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.exclusive(() => this.runBatch());
  }

  /** Runs `work` after every batch, close step and sweep queued before it; the chain goes on if it fails. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async runBatch(): Promise<void> {
    // The requests of one turn go together; so do those admitted meanwhile, up to the window.
    await new Promise((r) => setImmediate(r));
    const windowMs = this.group.windowMs;
    if (this.expected > 0 && windowMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, windowMs);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      await this.writeBatch(batch);
    } catch (err) {
      // Unexpected (a statement outside the commit failed): no request may be left waiting. Settled ones stay so.
      for (const queued of batch) queued.reject(err);
    }
  }

  /** Files first (records, one fdatasync per file), then one group commit of every request, then the answers. */
  private async writeBatch(batch: Queued[]): Promise<void> {
    const max = this.settings.value('ingest.chunk_max_bytes');
    // Which chunk each append goes to; a stream without an open chunk gets one, created by its first commit.
    const refusals = this.fileLimitRefusals(batch.flatMap((q) => q.appends));
    let n = 0;
    const targets = new Map<string, { chunkId: string; committed: number; isNew: boolean; placed: Placed[] }>();
    const admitted: { queued: Queued; placed: Placed[] }[] = [];
    for (const queued of batch) {
      const mine = refusals.slice(n, (n += queued.appends.length));
      const refusal = mine.find((r) => r !== undefined);
      if (refusal) {
        queued.reject(refusal);
        continue;
      }
      const placed: Placed[] = [];
      for (const append of queued.appends) {
        const key = `${append.issueId}\n${append.stream}`;
        let target = targets.get(key);
        if (!target) {
          const open = this.repo.findOpenChunk(append.issueId, append.stream);
          target = open
            ? { chunkId: open.id, committed: open.file_bytes ?? 0, isNew: false, placed: [] }
            : { chunkId: newId(), committed: 0, isNew: true, placed: [] };
          targets.set(key, target);
        }
        const p: Placed = { append, chunkId: target.chunkId, isNew: target.isNew, after: 0, to: 0 };
        target.placed.push(p);
        placed.push(p);
      }
      admitted.push({ queued, placed });
    }
    // Each chunk's file: cut to its committed length, the batch's records appended in order, one fdatasync.
    const failed = new Map<string, Error>();
    await Promise.all(
      [...targets.values()].map(async (target) => {
        try {
          const file = await this.fileFor(target.chunkId, target.committed);
          let after = target.committed;
          const start = file.size;
          const records = target.placed.map((p) => {
            p.after = after;
            const record = this.files.seal(file, p.append.data);
            p.to = after = file.size;
            return record;
          });
          await this.files.writeAndSync(file, start, records);
        } catch (err) {
          failed.set(target.chunkId, err instanceof Error ? err : new Error(String(err)));
          await this.forget(target.chunkId);
        }
      }),
    );
    // The next batch may start once this one's transaction has run (its outcome, committed or rolled back, is
    // then what the database says), without waiting for the WAL's fsync: that overlaps with its file writes.
    let running = 0;
    let ran!: () => void;
    const executed = new Promise<void>((resolve) => (ran = resolve));
    const units = admitted.map(({ queued, placed }) => {
      const fileError = placed.map((p) => failed.get(p.chunkId)).find((e) => e !== undefined);
      if (fileError !== undefined) return Promise.reject(fileError);
      running += 1;
      // All submitted in this turn, in file order: they share one group commit, each in its own savepoint.
      return this.group.run(() => {
        try {
          return this.write(placed, queued.actor, max);
        } finally {
          // The group's flush is synchronous: once it returns, the transaction is committed or rolled back (a
          // failed group reruns its units alone within the same flush).
          if (--running === 0) setImmediate(ran);
        }
      });
    });
    const settled = Promise.allSettled(units).then((outcomes) =>
      outcomes.forEach((outcome, i) => {
        if (outcome.status === 'fulfilled') admitted[i].queued.resolve(outcome.value);
        else admitted[i].queued.reject(outcome.reason);
      }),
    );
    // A unit that never ran (the group failed before it) settles instead of running.
    await Promise.race([running === 0 ? Promise.resolve() : executed, settled]);
  }

  /** The chunk's append file, open and cut to its committed length. */
  private async fileFor(chunkId: string, committed: number): Promise<ChunkAppendFile> {
    const cached = this.open.get(chunkId);
    if (cached) {
      if (cached.size !== committed) await this.files.cutTo(cached, committed);
      return cached;
    }
    const file = await this.files.openForAppend(chunkId, committed);
    this.open.set(chunkId, file);
    return file;
  }

  private async forget(chunkId: string): Promise<void> {
    const file = this.open.get(chunkId);
    this.open.delete(chunkId);
    await file?.handle.close().catch(() => undefined);
  }

  /** One request's appends, inside the caller's transaction; returns the chunks that reached the size limit. */
  private write(placed: Placed[], actor: string, max: number): LogChunkRow[] {
    const now = Date.now();
    const due: LogChunkRow[] = [];
    for (const { append: a, chunkId, isNew, after, to } of placed) {
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
      if (isNew && !this.repo.getChunk(chunkId)) {
        const [refusal] = this.fileLimitRefusals([a]);
        if (refusal) throw refusal;
        this.repo.openChunk(stream.id, chunkId, now);
      }
      const chunk = this.repo.appendToFile(chunkId, after, to, a.data.length, a.lines, now);
      // The request before it in the file was not committed (its issue deleted, a limit): so that the committed
      // bytes stay one unbroken run of acknowledged records, this one is refused too, and retried by its sender.
      if (!chunk) throw notAppended(a.stream);
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

  /** Removes append files that belong to no open or closing chunk. Runs in the chain: no batch is under way. */
  private async sweepOrphans(): Promise<number> {
    const live = new Set(this.repo.listChunkFiles().map((c) => c.id));
    let removed = 0;
    for (const { chunkId } of await this.files.list()) {
      if (live.has(chunkId)) continue;
      await this.forget(chunkId);
      await this.files.remove(chunkId);
      removed += 1;
    }
    return removed;
  }

  /**
   * open -> closing -> a blob -> closed with its log file, jobs and audit entry in one transaction, then the
   * append file goes. Safe to rerun.
   */
  async close(chunkId: string): Promise<void> {
    if (this.closing.has(chunkId)) return;
    this.closing.add(chunkId);
    let storedPath: string | undefined;
    try {
      const chunk = this.repo.getChunk(chunkId);
      if (!chunk || chunk.state === 'closed') return;
      // Between batches, so that no batch is appending to it; shares the group commit with the requests under way.
      if (chunk.state === 'open')
        await this.exclusive(async () => {
          await this.group.run(() => this.repo.markClosing(chunkId));
          await this.forget(chunkId);
        });
      const closing = this.repo.getChunk(chunkId);
      if (!closing || closing.state !== 'closing') return;
      const stored = await this.blobs.write(Readable.from(await this.content(closing)));
      storedPath = stored.path;
      const recorded = await this.group.run(() => this.record(chunkId, stored));
      if (recorded) {
        storedPath = undefined;
        this.backlog = undefined;
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

function notAppended(stream: string): DomainError {
  return new DomainError(
    ErrorCode.DATABASE_BUSY,
    `the lines for stream ${stream} were not written, since a request before them in the same chunk failed; retry in a moment`,
    { stream },
    { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  );
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

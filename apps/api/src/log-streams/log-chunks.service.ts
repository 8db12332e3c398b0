import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { LogStreamRepository, ProcessLock } from '@tftsr/db';
import { ChunkFiles } from '@tftsr/storage';
import { DomainError, ErrorCode } from '../common/domain-error';
import { LogFileIntake } from '../log-files/log-file-intake';
import { SettingsService } from '../settings/settings.service';
import { LogChunkCloser } from './log-chunk-closer.service';
import { LogChunkWriter, RETRY_AFTER_SECONDS, StreamAppend } from './log-chunk-writer.service';
import { LogStreamResponse, toLogStreamResponse } from './log-streams.dto';

const SWEEP_INTERVAL_MS = 500;
/** Append files without an open chunk (a failed first append, a deleted issue, a crash after a close) go this often. */
const ORPHAN_SWEEP_INTERVAL_MS = 60_000;
/** The backlog sum is one query over the unfinished files; reading it once per 100 ms bounds its cost under load. */
const BACKLOG_CACHE_MS = 100;

/**
 * Shipped lines. An open chunk's lines live outside the database, in an encrypted append-only file per chunk
 * (`{data_dir}/chunks/<chunk id>.open`, libs/storage chunk-file.ts); the database holds the chunk's committed
 * length (`file_bytes`), its byte and line counts and the audit entries. LogChunkWriter appends and commits the
 * lines in batches; LogChunkCloser turns a full or idle chunk into a log file. This service is what the shipper
 * routes call, and it starts and stops both: the writer lock, the recovery and the sweeps.
 */
@Injectable()
export class LogChunksService implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweeper?: NodeJS.Timeout;
  private orphanSweeper?: NodeJS.Timeout;
  private backlog?: { bytes: number; at: number };
  /** Held from the start to the shutdown: this process is the only writer of the append files. */
  private lock?: ProcessLock;

  constructor(
    private readonly settings: SettingsService,
    private readonly repo: LogStreamRepository,
    private readonly intake: LogFileIntake,
    @Inject(ChunkFiles) private readonly files: ChunkFiles,
    private readonly writer: LogChunkWriter,
    private readonly closer: LogChunkCloser,
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
    this.orphanSweeper = setInterval(
      () => void this.writer.exclusive(() => this.sweepOrphans()).catch(() => undefined),
      ORPHAN_SWEEP_INTERVAL_MS,
    );
    this.orphanSweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.orphanSweeper) clearInterval(this.orphanSweeper);
    await this.writer.closeFiles().catch(() => undefined);
    this.lock?.release();
  }

  /** See onApplicationBootstrap; exposed for tests. */
  async recover(): Promise<void> {
    await this.writer.exclusive(async () => {
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

  /** See LogChunkWriter.fileLimitRefusals. */
  fileLimitRefusals(wanted: { issueId: string; stream: string }[]): (DomainError | undefined)[] {
    return this.writer.fileLimitRefusals(wanted);
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
    const due = await this.writer.write(nonEmpty, actor);
    this.backlog = undefined;
    for (const chunk of due) void this.close(chunk.id);
  }

  /** See LogChunkWriter.expect. */
  expect(): () => void {
    return this.writer.expect();
  }

  /** Closes chunks that are idle, full, or were left closing by a crash. */
  async sweep(now = Date.now()): Promise<void> {
    for (const chunk of this.closer.listDue(now)) await this.close(chunk.id);
  }

  /** See LogChunkCloser.close; a recorded close changes the backlog, so its cached sum goes. */
  async close(chunkId: string): Promise<void> {
    if (await this.closer.close(chunkId)) this.backlog = undefined;
  }

  /** Removes append files that belong to no open or closing chunk. Runs in the chain: no batch is under way. */
  private async sweepOrphans(): Promise<number> {
    const live = new Set(this.repo.listChunkFiles().map((c) => c.id));
    let removed = 0;
    for (const { chunkId } of await this.files.list()) {
      if (live.has(chunkId)) continue;
      await this.writer.forget(chunkId);
      await this.files.remove(chunkId);
      removed += 1;
    }
    return removed;
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { AuditLogRepository, Expected, GroupCommit, LogChunkRow, LogStreamRepository, LogStreamSource, newId } from '@tftsr/db';
import type { ChunkAppendFile } from '@tftsr/storage';
import { ChunkFiles } from '@tftsr/storage';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SettingsService } from '../settings/settings.service';

/** One shipper request's lines for one stream: already whole lines, each ending in \n. */
export interface StreamAppend {
  issueId: string;
  stream: string;
  source: LogStreamSource;
  data: Buffer;
  lines: number;
}

export const RETRY_AFTER_SECONDS = 1;

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
 * Writes shipped lines to the open chunks' append files (`{data_dir}/chunks/<chunk id>.open`, libs/storage
 * chunk-file.ts) and commits them. Requests are taken in batches, one batch at a time: a batch waits (at most
 * TFTSR_GROUP_COMMIT_WINDOW_MS) for the requests admitted meanwhile, appends every request's lines to its chunk's
 * file as one sealed record, fdatasyncs each file once (off the event loop), then commits all requests through the
 * group commit (each in its own savepoint, moving its chunk's committed length from where its record starts to
 * where it ends, with its audit entry), and only then answers. A request whose commit fails leaves bytes past the
 * committed length, which the next batch cuts off before appending; so do the start (recovery) and the close.
 */
@Injectable()
export class LogChunkWriter {
  /** Append files held open between batches, by chunk id. */
  private readonly open = new Map<string, ChunkAppendFile>();
  private queue: Queued[] = [];
  private readonly expected = new Expected(() => {
    if (this.expected.count === 0) this.wake?.();
  });
  private scheduled = false;
  private wake?: () => void;
  /** Batches, chunk state changes and orphan sweeps run one at a time, in this chain. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly repo: LogStreamRepository,
    private readonly group: GroupCommit,
    @Inject(ChunkFiles) private readonly files: ChunkFiles,
  ) {}

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
   * Queues one request's (non-empty) appends for the next batch; resolves once they are durable and committed,
   * with the chunks that reached `ingest.chunk_max_bytes`.
   */
  write(appends: StreamAppend[], actor: string): Promise<LogChunkRow[]> {
    return new Promise<LogChunkRow[]>((resolve, reject) => {
      this.queue.push({ appends, actor, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Called when a shipper request is admitted: the next batch waits (at most TFTSR_GROUP_COMMIT_WINDOW_MS) for
   * it. The returned function, called once its appends are queued or it ends without any, stops the wait;
   * calling it again does nothing.
   */
  expect(): () => void {
    return this.expected.expect();
  }

  /** Runs `work` after every batch, close step and sweep queued before it; the chain goes on if it fails. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Closes the chunk's append file if it is held open; call in the chain, so that no batch is using it. */
  async forget(chunkId: string): Promise<void> {
    const file = this.open.get(chunkId);
    this.open.delete(chunkId);
    await file?.handle.close().catch(() => undefined);
  }

  /** Closes every append file held open, after the batches queued before. */
  async closeFiles(): Promise<void> {
    await this.exclusive(async () => {
      for (const file of this.open.values()) await file.handle.close().catch(() => undefined);
      this.open.clear();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    void this.exclusive(() => this.runBatch());
  }

  private async runBatch(): Promise<void> {
    // The requests of one turn go together; so do those admitted meanwhile, up to the window.
    await new Promise((r) => setImmediate(r));
    const windowMs = this.group.windowMs;
    if (this.expected.count > 0 && windowMs > 0) {
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
          return this.commit(placed, queued.actor, max);
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

  /** One request's appends, inside the caller's transaction; returns the chunks that reached the size limit. */
  private commit(placed: Placed[], actor: string, max: number): LogChunkRow[] {
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

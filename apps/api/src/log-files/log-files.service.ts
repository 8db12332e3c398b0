import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import {
  AuditLogRepository,
  Db,
  DB,
  Commit,
  GroupCommit,
  LogFile,
  LogFileProcessing,
  LogFileProcessingRepository,
  LogFileRepository,
  LogStreamRepository,
  newId,
  readSnapshot,
  toDbTimestamp,
} from '@tftsr/db';
import { crashIfArmed } from '@tftsr/config';
import { BlobStore } from '@tftsr/storage';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ListLogFilesQuery, LogFileListResponse, toLogFileDetailResponse } from './log-files.dto';
import { ApiConfig } from '../config/api.config';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { SettingsService } from '../settings/settings.service';
import { LogFileIntake } from './log-file-intake';
import { classify, sanitiseFileName, ACCEPTED_EXTENSIONS } from './file-types';
import { asUploadError, guardedGunzip, sizeLimit, textSniffer } from './upload-limits';

const MAX_GZIP_RATIO = 200;
/** Uploads up to this size (by Content-Length) are waited for by the group commit: they arrive within its window. */
const GROUP_COMMIT_MAX_BYTES = 1024 * 1024;

export interface IncomingFile {
  fileName: string;
  stream: Readable;
}

export interface LogFileWithProcessing {
  file: LogFile;
  processing: LogFileProcessing;
}

/**
 * Uploads: the bytes are streamed through the limits into an encrypted, fsync'd blob; then one transaction
 * writes the row, its processing state, its two outbox jobs and its audit entry. Only then does the 202 go.
 * That transaction is the group commit's (GroupCommit): uploads and shipped lines that are ready together share
 * it and its fsync, each in its own savepoint.
 */
@Injectable()
export class LogFilesService {
  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly relay: OutboxRelay,
    private readonly config: ApiConfig,
    private readonly files: LogFileRepository,
    private readonly processing: LogFileProcessingRepository,
    private readonly intake: LogFileIntake,
    private readonly streams: LogStreamRepository,
    private readonly group: GroupCommit,
  ) {}

  async upload(issueId: string, incoming: IncomingFile, actor: string, expectedBytes?: number): Promise<LogFileWithProcessing> {
    this.intake.assertIssueExists(issueId);
    // A small upload will be ready to commit within the group commit's window: the commits under way wait for it.
    const small = expectedBytes !== undefined && expectedBytes <= GROUP_COMMIT_MAX_BYTES;
    return small
      ? this.group.announced((commit) => this.store(issueId, incoming, actor, commit))
      : this.store(issueId, incoming, actor, (work) => this.group.run(work));
  }

  private async store(issueId: string, incoming: IncomingFile, actor: string, commit: Commit): Promise<LogFileWithProcessing> {
    const fileName = sanitiseFileName(incoming.fileName);
    const kind = classify(fileName);
    if (!kind) {
      incoming.stream.resume();
      throw new DomainError(
        ErrorCode.UNSUPPORTED_FILE_TYPE,
        `files named like ${JSON.stringify(fileName)} are not accepted; accepted: .${ACCEPTED_EXTENSIONS.join(', .')}, each as is or .gz`,
        {
          accepted_extensions: ACCEPTED_EXTENSIONS,
          gzip: 'any of them may be sent as .gz',
        },
      );
    }
    const max = this.settings.value('uploads.max_file_bytes');
    const transforms = kind.gzipped ? [...guardedGunzip(max, MAX_GZIP_RATIO), textSniffer()] : [sizeLimit(max), textSniffer()];
    let stored;
    try {
      stored = await this.blobs.write(incoming.stream, transforms);
    } catch (err) {
      incoming.stream.resume();
      throw asUploadError(err, incoming.stream);
    }
    try {
      const result = await commit(() => this.record(issueId, kind.storedName, kind.mimeType, stored, actor));
      // Test-only crash point (fault suite): committed, nothing sent to Redis yet; the outbox must still deliver.
      crashIfArmed(this.config, 'exit-after-commit');
      this.relay.kick();
      return result;
    } catch (err) {
      await this.blobs.remove(stored.path);
      throw err;
    }
  }

  getOrThrow(id: string): LogFile {
    const file = this.files.findById(id);
    if (!file) throw new DomainError(ErrorCode.LOG_FILE_NOT_FOUND, `log file ${id} does not exist`);
    return file;
  }

  /** A page of the issue's log files with where each one's processing stands. */
  listForIssue(issueId: string, query: ListLogFilesQuery): LogFileListResponse {
    const limit = query.limit ?? DEFAULT_PAGE;
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, isLogFileCursor);
    return readSnapshot(this.db, () => {
      this.intake.assertIssueExists(issueId);
      const rows = this.files.pageForIssue(issueId, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((file) => toLogFileDetailResponse(file, this.processing.get(file.id) ?? legacyProcessing(file))),
        next_cursor: rows.length > limit ? encodeCursor({ uploaded_at: last.uploaded_at, id: last.id }) : null,
      };
    });
  }

  getWithProcessing(id: string): LogFileWithProcessing {
    const file = this.getOrThrow(id);
    return { file, processing: this.processing.get(id) ?? legacyProcessing(file) };
  }

  private record(
    issueId: string,
    name: string,
    mimeType: string,
    stored: { path: string; size: number },
    actor: string,
  ): LogFileWithProcessing {
    // Inside the group commit: a savepoint of its own, so a refusal here leaves the other uploads of the group whole.
    this.intake.assertIssueExists(issueId);
    const limit = this.settings.value('uploads.max_files_per_issue');
    // Shipped chunks not yet closed count too: each becomes a log file, so a close can never pass the limit.
    const n = this.streams.countFilesForIssue(issueId);
    if (n >= limit) {
      const message = `issue ${issueId} already holds ${n} log files, open shipped chunks included (the limit is ${limit})`;
      throw new DomainError(ErrorCode.TOO_MANY_FILES, message);
    }
    const file: LogFile = {
      id: newId(),
      issue_id: issueId,
      file_name: name,
      file_path: stored.path,
      file_size: stored.size,
      mime_type: mimeType,
      content_hash: null,
      uploaded_at: toDbTimestamp(),
      redacted: 0,
    };
    const jobs = this.intake.insert(file);
    this.audit.append({
      action: 'upload_log_file',
      entity_type: 'log_file',
      entity_id: file.id,
      user_id: actor,
      details: { issue_id: issueId, file_size: stored.size, mime_type: mimeType, jobs },
    });
    return { file, processing: this.processing.get(file.id) as LogFileProcessing };
  }
}

/** Rows written before processing was tracked (or by the desktop app) have no processing row. */
function legacyProcessing(file: LogFile): LogFileProcessing {
  const state = file.content_hash ? 'done' : 'pending';
  return {
    log_file_id: file.id,
    hash_state: state,
    scan_state: state,
    scan_progress: state === 'done' ? 100 : 0,
    failure_reason: null,
    pii_counts: null,
    updated_at: file.uploaded_at,
  };
}

export function requestFileName(request: FastifyRequest): string | undefined {
  const name = (request.query as Record<string, unknown>)?.file_name;
  return typeof name === 'string' ? name : undefined;
}

const DEFAULT_PAGE = 50;

function isLogFileCursor(value: unknown): value is { uploaded_at: string; id: string } {
  const v = value as { uploaded_at?: unknown; id?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.uploaded_at === 'string' && typeof v.id === 'string';
}

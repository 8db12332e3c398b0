import { Inject, Injectable } from '@nestjs/common';
import { DB, Db, GroupCommit, LogFile, PiiReviewRepository, processingStatus } from '@tftsr/db';
import { buildReviewIndex, ValueKeys } from '@tftsr/redaction';
import { BlobIntegrityError, BlobStore } from '@tftsr/storage';
import { grants, Principal } from '../auth/scopes.decorator';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ApiConfig } from '../config/api.config';
import { LogFilesService } from './log-files.service';

/**
 * The review index of a file (lines, value ids, distinct values). The worker builds it after detection; files
 * scanned before it existed (or whose build failed) get it here on first use, one build per file at a time.
 */
@Injectable()
export class ReviewIndexService {
  readonly keys: ValueKeys;
  private readonly building = new Map<string, Promise<void>>();

  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly logFiles: LogFilesService,
    private readonly review: PiiReviewRepository,
    config: ApiConfig,
  ) {
    this.keys = new ValueKeys(config.databaseKey);
  }

  /** The file, once detection is done and its index is built. */
  async readyFile(logFileId: string): Promise<LogFile> {
    const { file, processing } = this.logFiles.getWithProcessing(logFileId);
    const status = processingStatus(processing);
    if (status !== 'ready') {
      throw new DomainError(
        ErrorCode.LOG_FILE_NOT_READY,
        `log file ${logFileId} is ${status}: its spans can be reviewed once hashing and detection are done`,
        { status },
      );
    }
    if (this.review.find(logFileId)?.indexed_at) return file;
    let build = this.building.get(logFileId);
    if (!build) {
      build = this.build(file).finally(() => this.building.delete(logFileId));
      this.building.set(logFileId, build);
    }
    await build;
    return file;
  }

  assertNotFinalized(logFileId: string): void {
    const finalizedAt = this.review.find(logFileId)?.finalized_at;
    if (finalizedAt)
      throw new DomainError(
        ErrorCode.LOG_FILE_FINALIZED,
        `log file ${logFileId} was finalized at ${finalizedAt}: its originals are wiped and its redacted copy is final`,
      );
  }

  assertMayReveal(caller: Principal, what: string): void {
    if (!grants(caller.scopes, 'pii:reveal'))
      throw new DomainError(ErrorCode.FORBIDDEN, `${what} needs the pii:reveal scope`, { missing_scopes: ['pii:reveal'] });
  }

  private async build(file: LogFile): Promise<void> {
    if (!(await this.blobs.exists(file.file_path).catch(() => false))) {
      throw new DomainError(ErrorCode.STORED_FILE_MISSING, `the stored content of log file ${file.id} is gone: it cannot be reviewed`);
    }
    await this.group.run(() => this.review.state(file.id));
    await buildReviewIndex(this.db, this.blobs, this.keys, file.id, file.file_path, (work) => this.group.run(work)).catch((err: Error) => {
      if (!(err instanceof BlobIntegrityError)) throw err;
      throw new DomainError(ErrorCode.STORED_FILE_CORRUPT, `the stored content of log file ${file.id} failed its integrity check`);
    });
  }
}

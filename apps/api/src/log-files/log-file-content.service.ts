import { Inject, Injectable, Logger } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AuditLogRepository, DB, Db, GroupCommit, LogFile, LogFileRedactionRepository } from '@tftsr/db';
import { BlobIntegrityError, BlobStore } from '@tftsr/storage';
import { grants, Principal } from '../auth/scopes.decorator';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ContentVariant } from './log-file-review.dto';
import { Download, redactedFileName } from './download';
import { LogFilesService } from './log-files.service';

/** Files up to this size are decrypted whole before the first byte is sent. */
export const FULL_DECRYPT_LIMIT = 8 * 1024 * 1024;

/**
 * Downloads, decrypted. A tampered blob must never be served in part as if it were whole:
 * - up to `fullDecryptLimit` bytes, the file is decrypted and authenticated in memory first, so tampering
 *   anywhere is a clean STORED_FILE_CORRUPT;
 * - past it, the first chunk is decrypted before the headers go (a wrong key or a damaged header fails
 *   cleanly), and a later bad chunk destroys the connection: with Content-Length set, clients see a
 *   truncated transfer, never a complete one. It is logged either way.
 */
@Injectable()
export class LogFileContentService {
  private readonly logger = new Logger('LogFileContent');
  /** A field, not a constant, so that tests can exercise the streaming path with small files. */
  fullDecryptLimit = FULL_DECRYPT_LIMIT;

  constructor(
    private readonly group: GroupCommit,
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly audit: AuditLogRepository,
    private readonly logFiles: LogFilesService,
    private readonly redactions: LogFileRedactionRepository,
  ) {}

  async open(logFileId: string, variant: ContentVariant, caller: Principal): Promise<Download> {
    const file = this.logFiles.getOrThrow(logFileId);
    if (variant === 'original' && !grants(caller.scopes, 'pii:reveal')) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'the original content needs the pii:reveal scope; the redacted copy needs read', {
        missing_scopes: ['pii:reveal'],
      });
    }
    const source = variant === 'original' ? { path: file.file_path, size: file.file_size, name: file.file_name } : this.redactedCopy(file);
    const body = await this.decrypt(logFileId, source.path, source.size);
    if (variant === 'original') await this.auditOriginal(file, caller, body);
    return {
      fileName: source.name,
      mimeType: file.mime_type ?? 'text/plain',
      size: Buffer.isBuffer(body) ? body.length : source.size,
      body,
    };
  }

  private redactedCopy(file: LogFile): { path: string; size: number; name: string } {
    const redaction = this.redactions.get(file.id);
    if (!redaction) {
      throw new DomainError(
        ErrorCode.NOT_REDACTED,
        `log file ${file.id} has no redacted copy yet: approve its spans with POST /v1/log-files/${file.id}/redactions`,
      );
    }
    return { path: redaction.redacted_path, size: redaction.redacted_size, name: redactedFileName(file.file_name) };
  }

  /** Written once the content opened, before the first byte goes: an aborted download still counts as a reveal. */
  private async auditOriginal(file: LogFile, caller: Principal, body: Buffer | Readable): Promise<void> {
    try {
      await this.group.run(() =>
        this.audit.append({
          action: 'download_original_log_file',
          entity_type: 'log_file',
          entity_id: file.id,
          user_id: caller.name,
          details: { content_hash: file.content_hash, file_size: file.file_size },
        }),
      );
    } catch (err) {
      if (!Buffer.isBuffer(body)) body.destroy();
      throw err;
    }
  }

  private async decrypt(logFileId: string, path: string, size: number | null): Promise<Buffer | Readable> {
    // exists() is false for a path outside the blob store too (a desktop-app row pointing at the user's disk).
    if (!(await this.blobs.exists(path).catch(() => false))) {
      throw new DomainError(ErrorCode.STORED_FILE_MISSING, `the stored content of log file ${logFileId} is gone`);
    }
    const it = this.blobs.openRead(path)[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      if (size !== null && size <= this.fullDecryptLimit) {
        const chunks: Buffer[] = [];
        for (let next = await it.next(); !next.done; next = await it.next()) chunks.push(next.value);
        return Buffer.concat(chunks);
      }
      const first = await it.next();
      return this.streamRest(logFileId, first, it);
    } catch (err) {
      await it.return?.();
      if (!(err instanceof BlobIntegrityError)) throw err;
      this.logger.error(`log file ${logFileId}: refused to serve ${path}: ${err.message}`);
      throw new DomainError(
        ErrorCode.STORED_FILE_CORRUPT,
        `the stored content of log file ${logFileId} failed its integrity check and was not served`,
      );
    }
  }

  private streamRest(logFileId: string, first: IteratorResult<Buffer>, it: AsyncIterator<Buffer>): Readable {
    async function* rest(): AsyncGenerator<Buffer> {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
      } finally {
        // The client went away, or a chunk failed: stop reading the file.
        await it.return?.();
      }
    }
    const stream = Readable.from(rest(), { objectMode: false });
    // Fastify destroys the connection when a stream it is sending fails after the headers went out.
    stream.on('error', (err) => this.logger.error(`log file ${logFileId}: download aborted mid-stream: ${err.message}`));
    return stream;
  }
}

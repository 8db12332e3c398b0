import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AuditLogRepository,
  GroupCommit,
  ImageAttachment,
  ImageAttachmentRepository,
  IssueRepository,
  newId,
  toDbTimestamp,
} from '@tftsr/db';
import { BlobIntegrityError, BlobStore, StoredBlob } from '@tftsr/storage';
import { DomainError, ErrorCode } from '../common/domain-error';
import { sanitiseFileName } from '../log-files/file-types';
import { SettingsService } from '../settings/settings.service';
import { TextRedactor } from '../settings/text-redactor.service';
import { CleanImage, ImageSanitiser } from './image-sanitiser.service';
import { ACCEPTED_IMAGE_TYPES, EXTENSIONS, ImageType, MIME_TYPES, sniffImage } from './image-sniff';
import type { IncomingImage } from './read-image-upload';

export interface UploadResult {
  image: ImageAttachment;
  /** false: the same bytes were already attached to this issue, and `image` is that row. */
  created: boolean;
}

export interface ImageContent {
  image: ImageAttachment;
  bytes: Buffer;
}

/** Only blobs (BlobStore's `blobs/<shard>/<name>.blob`) are read or removed: desktop-app rows point at the user's own disk. */
const BLOB_PATH = /^blobs\/[0-9a-f]{2}\/[^/]+\.blob$/;

/**
 * Image attachments. An upload is checked (acknowledgement, size, type from the bytes), stripped of its
 * metadata by re-encoding, stored as an encrypted blob, and only then recorded with its audit entry in one
 * transaction; a failure at any step leaves no row and no file.
 */
@Injectable()
export class ImagesService {
  private readonly logger = new Logger('ImagesService');

  constructor(
    private readonly group: GroupCommit,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly images: ImageAttachmentRepository,
    private readonly issues: IssueRepository,
    private readonly audit: AuditLogRepository,
    private readonly sanitiser: ImageSanitiser,
    private readonly settings: SettingsService,
    private readonly redactor: TextRedactor,
  ) {}

  async upload(issueId: string, incoming: IncomingImage, actor: string): Promise<UploadResult> {
    if (incoming.acknowledged !== true) {
      throw new DomainError(
        ErrorCode.PII_WARNING_NOT_ACKNOWLEDGED,
        'images are stored as they look and are not scanned for personal data: show the user the warning, and send pii_warning_acknowledged=true once they accept it',
      );
    }
    if (!this.issues.findById(issueId)) throw issueNotFound(issueId);
    // The hash of the bytes as received: the client can compute it, and the same file always dedupes.
    const uploadHash = createHash('sha256').update(incoming.bytes).digest('hex');
    const existing = this.images.findByUploadHash(issueId, uploadHash);
    if (existing) return { image: existing, created: false };

    const sniffed = sniffImage(incoming.bytes);
    if (sniffed.type === null) {
      throw new DomainError(ErrorCode.UNSUPPORTED_FILE_TYPE, `not accepted: ${sniffed.reason}`, {
        accepted_types: ACCEPTED_IMAGE_TYPES.map((t) => MIME_TYPES[t]),
      });
    }
    const clean = await this.sanitiser.clean(incoming.bytes, sniffed.type);
    let stored: StoredBlob;
    try {
      stored = await this.blobs.write(Readable.from(clean.bytes));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC')
        throw new DomainError(ErrorCode.INSUFFICIENT_STORAGE, 'the server is out of disk space; the image was not stored');
      if ((err as { code?: string }).code === 'BLOB_STORE_UNAVAILABLE')
        throw new DomainError(ErrorCode.STORAGE_UNAVAILABLE, 'the blob store did not take the image; nothing was stored, try again');
      throw err;
    }
    let result: UploadResult;
    try {
      result = await this.record(issueId, incoming, uploadHash, clean, stored, actor);
    } catch (err) {
      await this.blobs.remove(stored.path);
      throw err;
    }
    // A concurrent upload of the same bytes won: this blob is not referenced.
    if (!result.created) await this.blobs.remove(stored.path);
    return result;
  }

  getOrThrow(id: string): ImageAttachment {
    const image = this.images.findById(id);
    if (!image) throw new DomainError(ErrorCode.IMAGE_NOT_FOUND, `image ${id} does not exist`);
    return image;
  }

  /** The whole image, decrypted and verified before a byte is sent: a damaged file fails, it is never served in part. */
  async content(id: string): Promise<ImageContent> {
    const image = this.getOrThrow(id);
    if (!BLOB_PATH.test(image.file_path)) {
      throw new DomainError(
        ErrorCode.STORED_FILE_MISSING,
        `the bytes of image ${id} are not in this service's store (it was recorded by the desktop app)`,
      );
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.blobs.openRead(image.file_path) as AsyncIterable<Buffer>) chunks.push(chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DomainError(ErrorCode.STORED_FILE_MISSING, `the stored file of image ${id} is missing`);
      if (err instanceof BlobIntegrityError) throw this.corrupt(id, err.message);
      throw err;
    }
    const bytes = Buffer.concat(chunks);
    if (bytes.length !== image.file_size) throw this.corrupt(id, `it holds ${bytes.length} bytes, the record says ${image.file_size}`);
    return { image, bytes };
  }

  /** The row and its audit entry go in one transaction; the blob goes after the commit. */
  async delete(id: string, actor: string): Promise<void> {
    const image = await this.group.run(() => {
      const row = this.getOrThrow(id);
      this.images.delete(id);
      this.issues.touch(row.issue_id, toDbTimestamp());
      this.audit.append({
        action: 'delete_image_attachment',
        entity_type: 'image_attachment',
        entity_id: id,
        user_id: actor,
        details: {
          issue_id: row.issue_id,
          upload_hash: row.upload_hash,
          file_size: row.file_size,
          mime_type: row.mime_type,
          is_paste: row.is_paste === 1,
        },
      });
      return row;
    });
    if (!BLOB_PATH.test(image.file_path)) return;
    try {
      await this.blobs.remove(image.file_path);
    } catch (err) {
      // The row is gone already; an orphan blob is unreadable without its row and harmless.
      this.logger.warn(`image ${id}: could not remove ${image.file_path}: ${(err as Error).message}`);
    }
  }

  private async record(
    issueId: string,
    incoming: IncomingImage,
    uploadHash: string,
    clean: CleanImage,
    stored: StoredBlob,
    actor: string,
  ): Promise<UploadResult> {
    return this.group.run(() => {
      const existing = this.images.findByUploadHash(issueId, uploadHash);
      if (existing) return { image: existing, created: false };
      const now = toDbTimestamp();
      if (!this.issues.touch(issueId, now)) throw issueNotFound(issueId);
      const limit = this.settings.value('uploads.max_files_per_issue');
      const count = this.images.countForIssue(issueId);
      if (count >= limit)
        throw new DomainError(ErrorCode.TOO_MANY_FILES, `issue ${issueId} already holds ${count} images (the limit is ${limit})`, {
          limit,
        });
      const id = newId();
      const image: ImageAttachment = {
        id,
        issue_id: issueId,
        file_name: this.fileName(incoming, clean.type, id),
        file_path: stored.path,
        file_size: stored.size,
        mime_type: MIME_TYPES[clean.type],
        upload_hash: uploadHash,
        uploaded_at: now,
        pii_warning_acknowledged: 1,
        is_paste: incoming.isPaste ? 1 : 0,
      };
      this.images.insert(image);
      this.audit.append({
        action: incoming.isPaste ? 'upload_paste_image' : 'upload_image_attachment',
        entity_type: 'image_attachment',
        entity_id: id,
        user_id: actor,
        details: {
          issue_id: issueId,
          upload_hash: uploadHash,
          file_size: stored.size,
          mime_type: image.mime_type,
          is_paste: incoming.isPaste,
        },
      });
      return { image, created: true };
    });
  }

  /**
   * The client's name as harmless metadata (no directories or control characters), with personal data redacted
   * like any free text, and an extension that matches what is stored (a BMP is stored as .png).
   */
  private fileName(incoming: IncomingImage, type: Exclude<ImageType, 'bmp'>, id: string): string {
    const extension = EXTENSIONS[type][0];
    if (incoming.fileName === undefined) return `${incoming.isPaste ? 'pasted-image' : 'image'}-${id}.${extension}`;
    const name = this.redactor.redact(sanitiseFileName(incoming.fileName)).text;
    const dot = name.lastIndexOf('.');
    if (dot > 0 && EXTENSIONS[type].includes(name.slice(dot + 1).toLowerCase())) return name;
    const stem = dot > 0 ? name.slice(0, dot) : name;
    return `${Array.from(stem).slice(0, 250).join('')}.${extension}`;
  }

  private corrupt(id: string, reason: string): DomainError {
    this.logger.error(`image ${id}: the stored file failed its integrity check: ${reason}`);
    return new DomainError(
      ErrorCode.STORED_FILE_CORRUPT,
      `the stored file of image ${id} is damaged and was not served; restore it from a backup`,
    );
  }
}

function issueNotFound(issueId: string): DomainError {
  return new DomainError(ErrorCode.ISSUE_NOT_FOUND, `issue ${issueId} does not exist`);
}

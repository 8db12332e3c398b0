import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ImageAttachmentRepository } from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import { DomainError } from '@tftsr/api/common/domain-error';
import { ImageSanitiser } from '@tftsr/api/images/image-sanitiser.service';
import { EXTENSIONS, MIME_TYPES, sniffImage } from '@tftsr/api/images/image-sniff';
import { sanitiseFileName } from '@tftsr/api/log-files/file-types';
import { loadImageBytes, loadLogContent } from './desktop-content';
import type { ImportTable } from './import-summary';
import type { ImportRedactor, IssuePlan } from './issue-plan';

export interface Stored {
  blobs: string[];
  files: { id: string; path: string; size: number }[];
  images: { id: string; path: string; size: number; upload_hash: string; mime_type: string; file_name: string }[];
}

export type SkipWarning = (table: ImportTable, what: string, reason: string) => void;

/**
 * The contents of an issue's new log files and images, stored before its transaction as uploads store them:
 * encrypted blobs, images through the upload sanitiser. In a dry run everything is read and checked, nothing stored.
 */
export class ContentStager {
  private readonly sanitiser = new ImageSanitiser();

  constructor(
    private readonly blobs: BlobStore,
    private readonly images: ImageAttachmentRepository,
    private readonly dryRun: boolean,
    private readonly warnSkipped: SkipWarning,
  ) {}

  /** Contents first, encrypted like uploads; a file with no readable content is left out with a warning. */
  async stage(plan: IssuePlan, stored: Stored, redactor: ImportRedactor): Promise<void> {
    for (const file of plan.logFiles) {
      const content = loadLogContent(file.row);
      if (content.bytes === null) {
        this.warnSkipped(
          'log_files',
          `log file ${file.id} (${JSON.stringify(file.file_name)}, issue ${plan.issue.id})`,
          `no content: ${content.problem}`,
        );
        continue;
      }
      if (this.dryRun) {
        stored.files.push({ id: file.id, path: '', size: content.bytes.length });
        continue;
      }
      const blob = await this.blobs.write(Readable.from([content.bytes]));
      stored.blobs.push(blob.path);
      stored.files.push({ id: file.id, path: blob.path, size: blob.size });
    }
    for (const image of plan.images) {
      const what = `image ${image.id} (${JSON.stringify(image.file_name)}, issue ${plan.issue.id})`;
      const loaded = loadImageBytes(image.row);
      if (loaded.bytes === null) {
        this.warnSkipped('image_attachments', what, `no content: ${loaded.problem}`);
        continue;
      }
      const sniffed = sniffImage(loaded.bytes);
      if (sniffed.type === null) {
        this.warnSkipped('image_attachments', what, `not an accepted image: ${sniffed.reason}`);
        continue;
      }
      let clean;
      try {
        clean = await this.sanitiser.clean(loaded.bytes, sniffed.type);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        this.warnSkipped('image_attachments', what, err.message);
        continue;
      }
      // The same bytes twice on one issue (the desktop never deduplicated) are kept once, as uploads are.
      const uploadHash = createHash('sha256').update(loaded.bytes).digest('hex');
      const twin =
        this.images.findByUploadHash(plan.issue.id, uploadHash)?.id ?? stored.images.find((i) => i.upload_hash === uploadHash)?.id;
      if (twin !== undefined) {
        this.warnSkipped('image_attachments', what, `the same image as ${twin}`);
        continue;
      }
      const meta = {
        id: image.id,
        upload_hash: uploadHash,
        mime_type: MIME_TYPES[clean.type],
        file_name: imageName(redactor.redact(image.file_name), clean.type),
      };
      if (this.dryRun) {
        stored.images.push({ ...meta, path: '', size: clean.bytes.length });
        continue;
      }
      const blob = await this.blobs.write(Readable.from([clean.bytes]));
      stored.blobs.push(blob.path);
      stored.images.push({ ...meta, path: blob.path, size: blob.size });
    }
  }

  /** Removes what was stored for an issue whose transaction did not commit. */
  async discard(stored: Stored): Promise<void> {
    await Promise.all(stored.blobs.map((p) => this.blobs.remove(p)));
  }
}

/** The desktop's name as harmless metadata, with an extension that matches what is stored (a BMP becomes .png). */
function imageName(raw: string, type: keyof typeof EXTENSIONS): string {
  const name = sanitiseFileName(raw);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && EXTENSIONS[type].includes(name.slice(dot + 1).toLowerCase())) return name;
  return `${dot > 0 ? name.slice(0, dot) : name}.${EXTENSIONS[type][0]}`;
}

import { Inject, Injectable, Logger } from '@nestjs/common';
import { realpathSync, unlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { BlobStore } from '../../../../libs/storage/src';
import { ApiConfig } from '../config/api.config';

/**
 * Removes the files that rows pointed at, after the rows are gone. Only files inside {data_dir}/blobs are
 * touched: the desktop app stored the user's own source paths, which must never be deleted.
 */
@Injectable()
export class StoredFiles {
  private readonly logger = new Logger('StoredFiles');
  private readonly blobsDir: string;
  private readonly dataDir: string;

  constructor(
    private readonly config: ApiConfig,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {
    this.dataDir = config.dataDir;
    this.blobsDir = join(config.dataDir, 'blobs');
  }

  /** Best effort: the rows are already deleted, so a failure is logged and an orphan file is left behind. */
  removeAll(issueId: string, paths: string[]): void {
    if (this.config.blobStorage.kind === 's3') return void this.removeFromBucket(issueId, paths);
    for (const path of paths) {
      const target = this.insideBlobs(path);
      if (!target) {
        this.logger.warn(`issue ${issueId}: not deleting ${path}: it is outside ${this.blobsDir}`);
        continue;
      }
      try {
        unlinkSync(target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') this.logger.warn(`issue ${issueId}: could not delete ${target}: ${code ?? (err as Error).message}`);
      }
    }
  }

  /** In a bucket only blob names are ours (`blobs/…`); what `tftsr issues purge` sweeps catches a failed delete. */
  private async removeFromBucket(issueId: string, paths: string[]): Promise<void> {
    for (const path of paths.filter((p) => p.startsWith('blobs/'))) {
      await this.blobs.remove(path).catch((err: Error) => this.logger.warn(`issue ${issueId}: could not delete ${path}: ${err.message}`));
    }
  }

  /** The real path of the file when its directory really is under blobs/ (symlinks resolved), else null. */
  private insideBlobs(path: string): string | null {
    const absolute = isAbsolute(path) ? resolve(path) : resolve(this.dataDir, path);
    let root: string;
    let parent: string;
    try {
      root = realpathSync(this.blobsDir);
      parent = realpathSync(dirname(absolute));
    } catch {
      return null;
    }
    return parent === root || parent.startsWith(root + sep) ? join(parent, basename(absolute)) : null;
  }
}

import 'reflect-metadata';
import type { Env } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';
import type { CliIo } from '../cli-io';
import { processIo } from '../cli-io';
import type { ImportIo, ImportSummary } from '../import/desktop-importer';
import { IMPORT_TABLES, importDesktop } from '../import/desktop-importer';

/** `tftsr import desktop`, loaded only when it runs (see import.command.ts). */
export async function runImport(env: Env, io: CliIo, o: { db: string; keyFile?: string; dryRun?: boolean }): Promise<number> {
  const config = loadConfig(BaseConfig, env);
  const summary = await importDesktop(
    {
      desktopPath: o.db,
      keyFile: o.keyFile,
      dryRun: o.dryRun === true,
      env,
      service: {
        databasePath: config.databasePath,
        databaseKey: config.databaseKey,
        dataDir: config.dataDir,
        busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS,
        blobStorage: config.blobStorage,
      },
    },
    withProgress(io),
  );
  printSummary(summary, io);
  return summary.skipped.length > 0 ? 1 : 0;
}

/** A bar on a terminal only; piped output gets the summary alone. */
function withProgress(io: CliIo): ImportIo {
  if (io !== processIo || !process.stderr.isTTY) return io;
  return {
    ...io,
    progress(done, total) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} issues${done === total ? '\n' : ''}`);
    },
  };
}

export function printSummary(summary: ImportSummary, io: CliIo): void {
  const verb = summary.dryRun ? 'would import' : 'imported';
  io.out(
    `${summary.dryRun ? 'dry run, nothing written: ' : ''}desktop database at migration ${String(summary.level).padStart(3, '0')} (${summary.encrypted ? 'encrypted' : 'plain SQLite'})`,
  );
  io.out(`${'table'.padEnd(18)} ${'found'.padStart(6)} ${verb.padStart(13)} ${'already here'.padStart(13)} ${'skipped'.padStart(8)}`);
  for (const table of IMPORT_TABLES) {
    const c = summary.counts[table];
    io.out(
      `${table.padEnd(18)} ${String(c.found).padStart(6)} ${String(c.imported).padStart(13)} ${String(c.present).padStart(13)} ${String(c.skipped).padStart(8)}`,
    );
  }
  for (const s of summary.skipped) io.out(`skipped ${s.what}: ${s.reason}`);
  for (const w of summary.warnings) io.out(`warning: ${w}`);
}

import { parseArgs } from 'node:util';
import { BaseConfig, Env, loadConfig } from '../../../../libs/config/src';
import { CliError, CliIo, processIo } from '../cli-io';
import { IMPORT_TABLES, importDesktop, ImportIo, ImportSummary } from '../import/desktop-importer';

export const IMPORT_USAGE = `usage: tftsr import desktop --db FILE [--key-file FILE] [--dry-run]

  desktop   copies the issues of a TFTSR/TRCAA desktop app database (tftsr.db) into this service's database,
            keeping their ids: log files (scanned again by the hash and detect_pii jobs), images (metadata
            stripped), 5-Whys, AI conversations (redacted), documents and timeline events (into the audit trail).
            The key: --key-file, else TRCAA_DB_KEY, TFTSR_DB_KEY, else the .dbkey beside the database.
            The desktop file is opened read-only; close the desktop app first. Running it again imports only
            what is new. --dry-run prints what would be imported and writes nothing.`;

export async function runImportCommand(argv: string[], env: Env, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'desktop') {
    io.err(IMPORT_USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' }, 'key-file': { type: 'string' }, 'dry-run': { type: 'boolean', default: false } }, strict: true });
  if (!values.db) throw new CliError('give --db FILE, the desktop app database (tftsr.db)', 2);
  const config = loadConfig(BaseConfig, env);
  const summary = await importDesktop(
    {
      desktopPath: values.db,
      keyFile: values['key-file'],
      dryRun: values['dry-run'] === true,
      env,
      service: { databasePath: config.databasePath, databaseKey: config.databaseKey, dataDir: config.dataDir, busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS },
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
  io.out(`${summary.dryRun ? 'dry run, nothing written: ' : ''}desktop database at migration ${String(summary.level).padStart(3, '0')} (${summary.encrypted ? 'encrypted' : 'plain SQLite'})`);
  io.out(`${'table'.padEnd(18)} ${'found'.padStart(6)} ${verb.padStart(13)} ${'already here'.padStart(13)} ${'skipped'.padStart(8)}`);
  for (const table of IMPORT_TABLES) {
    const c = summary.counts[table];
    io.out(`${table.padEnd(18)} ${String(c.found).padStart(6)} ${String(c.imported).padStart(13)} ${String(c.present).padStart(13)} ${String(c.skipped).padStart(8)}`);
  }
  for (const s of summary.skipped) io.out(`skipped ${s.what}: ${s.reason}`);
  for (const w of summary.warnings) io.out(`warning: ${w}`);
}

import 'reflect-metadata';
import { ConfigError, Env } from '../../../libs/config/src';
import { DatabaseError } from '../../../libs/db/src';
import { CliError, CliIo, processIo } from './cli-io';
import { runDbCommand } from './commands/db.command';
import { runImportCommand } from './commands/import.command';
import { runIssuesCommand } from './commands/issues.command';
import { runKeysCommand } from './commands/keys.command';
import { runPiiCli } from '../../../libs/pii/src';

const USAGE = `usage: tftsr <area> <command> [options]

  db     migrate | status | check | encrypt | rekey | backup DEST | restore SRC [--force] | verify
  issues purge --older-than DAYS [--dry-run]
  import desktop --db FILE [--key-file FILE] [--dry-run]
  keys   create | list | revoke
  pii    scan FILE [--json] [--reveal] | redact FILE -o OUT   (runs locally; needs no database)
  help   this text

Run \`tftsr <area>\` for the commands of one area.`;

export { processIo };

/** Runs one command and returns the exit code; never throws, so tests can call it in-process. */
export async function runCli(argv: string[], env: Env, io: CliIo): Promise<number> {
  const [area, ...rest] = argv;
  try {
    switch (area) {
      case 'db':
        return await runDbCommand(rest, env, io);
      case 'issues':
        return await runIssuesCommand(rest, env, io);
      case 'keys':
        return await runKeysCommand(rest, env, io);
      case 'import':
        return await runImportCommand(rest, env, io);
      case 'pii':
        // The PII tool writes to streams (progress on a terminal); in-process callers get their lines.
        return await runPiiCli(rest, io === processIo ? undefined : linesOf(io));
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return 0;
      default:
        io.err(`unknown area '${area}'\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof CliError || err instanceof ConfigError || err instanceof DatabaseError) {
      io.err(`tftsr: ${err.message}`);
      return err instanceof CliError ? err.exitCode : 1;
    }
    io.err(`tftsr: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

function linesOf(io: CliIo) {
  const writer = (emit: (line: string) => void) => ({ write: (chunk: string) => chunk.replace(/\n$/, '').split('\n').forEach(emit) });
  return { stdout: writer((l) => io.out(l)), stderr: writer((l) => io.err(l)), isTTY: false };
}

if (require.main === module) {
  void runCli(process.argv.slice(2), process.env, processIo).then((code) => process.exit(code));
}

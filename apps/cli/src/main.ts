import type { Exit } from '@tftsr/cli';
import { Command, packageVersion, runProgram } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
import { piiCliCommand } from '@tftsr/pii/cli';
import type { CliIo } from './cli-io';
import { CliError, processIo } from './cli-io';
import { dbCommand } from './commands/db.command';
import { importCommand } from './commands/import.command';
import { issuesCommand } from './commands/issues.command';
import { keysCommand } from './commands/keys.command';
import { scannerCommand } from './commands/scanner.command';

export { processIo };

/**
 * The whole tftsr program. Building it has no side effect: configuration is loaded and files are opened only
 * inside actions, which the parser runs after it has handled --help, --version and bad arguments. Building it is
 * also cheap: each action imports the code it runs (the database, the config validation, the importer), so
 * `--help` and `pii scan` load none of it (test/system/cli-startup.spec.ts).
 */
export function buildProgram(env: Env, io: CliIo, exit: Exit): Command {
  return (
    new Command('tftsr')
      .description('The operator tool of the TFTSR service.')
      .version(packageVersion(), '-V, --version', 'print the version and exit')
      .addCommand(dbCommand(env, io, exit))
      .addCommand(issuesCommand(env, io, exit))
      .addCommand(keysCommand(env, io, exit))
      .addCommand(importCommand(env, io, exit))
      .addCommand(scannerCommand(env, io, exit))
      // The PII tool writes to streams (progress on a terminal); in-process callers get their lines.
      .addCommand(piiCliCommand(io === processIo ? undefined : linesOf(io), exit))
      .addHelpText('after', '\nRun `tftsr <command> --help` for the options of one command. Exit codes: 0 done, 1 failed, 2 bad usage.')
  );
}

/** Runs one command and returns the exit code; never throws, so tests can call it in-process. */
export async function runCli(argv: string[], env: Env, io: CliIo): Promise<number> {
  try {
    return await runProgram((exit) => buildProgram(env, io, exit), argv, { out: (s) => io.out(s), err: (s) => io.err(s) });
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`tftsr: ${err.message}`);
      return err.exitCode;
    }
    if (await isReported(err)) {
      io.err(`tftsr: ${(err as Error).message}`);
      return 1;
    }
    io.err(`tftsr: ${(err as Error)?.message ?? String(err)}`);
    return 1;
  }
}

/** Configuration and database errors are the user's to act on; their modules are loaded only on this path. */
async function isReported(err: unknown): Promise<boolean> {
  if (!(err instanceof Error)) return false;
  const [{ ConfigError }, { DatabaseError }] = await Promise.all([import('@tftsr/config/load-config'), import('@tftsr/db/errors')]);
  return err instanceof ConfigError || err instanceof DatabaseError;
}

function linesOf(io: CliIo) {
  const writer = (emit: (line: string) => void) => ({ write: (chunk: string) => chunk.replace(/\n$/, '').split('\n').forEach(emit) });
  return { stdout: writer((l) => io.out(l)), stderr: writer((l) => io.err(l)), isTTY: false };
}

if (require.main === module) {
  void runCli(process.argv.slice(2), process.env, processIo).then((code) => process.exit(code));
}

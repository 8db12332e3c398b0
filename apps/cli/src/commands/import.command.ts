import type { Exit } from '@tftsr/cli';
import { Command, exitingAction } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
import type { CliIo } from '../cli-io';

// The action imports its module when it runs, so that building the program (and --help) reads no database code.

/** `tftsr import …`: bringing data in from elsewhere. */
export function importCommand(env: Env, io: CliIo, exit: Exit): Command {
  const command = new Command('import').description("bring in data from elsewhere: the desktop app's database");
  command
    .command('desktop')
    .description(
      "copy the issues of a TFTSR/TRCAA desktop app database (tftsr.db) into this service's database, keeping their ids: log files " +
        '(scanned again by the hash and detect_pii jobs), images (metadata stripped), 5-Whys and AI conversations (redacted), documents, ' +
        'and timeline events (into the audit trail). The key: --key-file, else TRCAA_DB_KEY, TFTSR_DB_KEY, else the .dbkey beside the ' +
        'database. The desktop file is opened read-only; close the desktop app first. Running it again imports only what is new.',
    )
    .requiredOption('--db <file>', 'the desktop app database (tftsr.db)')
    .option('--key-file <file>', 'a file holding the desktop database key')
    .option('--dry-run', 'print what would be imported and write nothing')
    .action(
      exitingAction(exit, async (o: { db: string; keyFile?: string; dryRun?: boolean }) =>
        (await import('./import.actions')).runImport(env, io, o),
      ),
    );
  return command;
}

import type { Exit } from '@tftsr/cli';
import { Command, exitingAction } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
import type { CliIo } from '../cli-io';

/** `tftsr db …`: the database and its stored files. Options are parsed before any action opens a file. */
export function dbCommand(env: Env, io: CliIo, exit: Exit): Command {
  /** Loaded by the action that runs, so that building the program (and --help) reads no database code. */
  const run = async () => (await import('./db.actions')).dbActions(env, io);
  const db = new Command('db').description('migrate, check, encrypt, rekey, back up, restore and verify the database');
  db.command('migrate')
    .description('apply pending migrations')
    .action(exitingAction(exit, async () => (await run()).migrate()));
  db.command('status')
    .description('list applied and pending migrations')
    .action(exitingAction(exit, async () => (await run()).status()));
  db.command('check')
    .description('integrity_check, and on an encrypted database a page-by-page HMAC check')
    .action(exitingAction(exit, async () => (await run()).check()));
  db.command('encrypt')
    .description('turn the plain database into an encrypted one (key from TFTSR_DB_KEY), keeping a backup')
    .action(exitingAction(exit, async () => (await run()).encrypt()));
  db.command('rekey')
    .description('move to a new key, read from --new-key-file FILE or TFTSR_DB_NEW_KEY, keeping a backup')
    .option('--new-key-file <file>', 'a file holding the new key (never give the key on the command line)')
    .action(exitingAction(exit, async (o: { newKeyFile?: string }) => (await run()).rekey(o.newKeyFile)));
  db.command('backup')
    .description(
      'an online, consistent copy of the database (still encrypted) and of the stored files it points at, with a manifest of sizes and hashes; the API and the worker keep running',
    )
    .argument('<dest>', 'a directory that must not exist yet')
    .action(exitingAction(exit, async (dest: string) => (await run()).backup(dest)));
  db.command('restore')
    .description(
      "check a backup against its manifest, verify it (integrity, pages, audit chain, every file's hash), then swap it into the data directory; the current files are moved aside",
    )
    .argument('<src>', 'a directory written by `tftsr db backup`')
    .option('--force', 'replace a data directory that already holds a database or stored files')
    .action(exitingAction(exit, async (src: string, o: { force?: boolean }) => (await run()).restore(src, o.force === true)));
  db.command('verify')
    .description("the restore's checks on the current data: integrity, pages, audit chain, every stored file")
    .action(exitingAction(exit, async () => (await run()).verify()));
  return db.addHelpText(
    'after',
    `
The database is {TFTSR_DATA_DIR}/tftsr.db; the current key comes from TFTSR_DB_KEY or TFTSR_DB_KEY_FILE.
encrypt, rekey and restore need the database to themselves: stop the API and the worker first.`,
  );
}

import type { Exit } from '@tftsr/cli';
import { Command, exitingAction } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
import type { CliIo } from '../cli-io';

/** Loaded by the action that runs, so that building the program (and --help) reads no database code. */
const actions = () => import('./scanner.actions');

/** `tftsr scanner …`: what scanner hosts (TFTSR_WORKER_ROLE=scanner, issue 19) need from the database host. */
export function scannerCommand(env: Env, io: CliIo, exit: Exit): Command {
  const scanner = new Command('scanner').description('key material for scanner hosts');
  scanner
    .command('export-key')
    .description("write the scanners' blob key (hex) to a file, mode 0600; it cannot give back the database key")
    .requiredOption('--out <file>', 'where to write it (a new file unless --force)')
    .option('--force', 'overwrite the file if it exists')
    .action(
      exitingAction(exit, async (o: { out: string; force?: boolean }) => (await actions()).exportKey(env, io, o.out, o.force === true)),
    );
  return scanner.addHelpText(
    'after',
    `
Give the file to each scanner as TFTSR_BLOB_KEY_FILE (or its content as TFTSR_BLOB_KEY). It is the HKDF
'blob-encryption' key of the database key: it opens blobs and scanner work objects, nothing else.
After \`tftsr db rekey\` it changes: export it again and restart the scanners.
The database is {TFTSR_DATA_DIR}/tftsr.db; its key comes from TFTSR_DB_KEY or TFTSR_DB_KEY_FILE.`,
  );
}

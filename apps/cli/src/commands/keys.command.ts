import type { Exit } from '@tftsr/cli';
import { Command, exitingAction } from '@tftsr/cli';
import type { Env } from '@tftsr/config';
// A subpath, not the index: `tftsr keys --help` must not load the database driver.
import { API_KEY_SCOPES } from '@tftsr/db/api-key-scopes';
import type { CliIo } from '../cli-io';

/** Loaded by the action that runs, so that building the program (and --help) reads no database code. */
const actions = () => import('./keys.actions');

/** `tftsr keys …`: API keys, kept as hashes in the database. */
export function keysCommand(env: Env, io: CliIo, exit: Exit): Command {
  const keys = new Command('keys').description('create, list and revoke API keys');
  keys
    .command('create')
    .description('make a key and print it once; only its hash is kept')
    .requiredOption('--name <name>', '1 to 64 letters, digits, dots, dashes or underscores')
    .requiredOption('--scopes <list>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`)
    .action(exitingAction(exit, async (o: { name: string; scopes: string }) => (await actions()).createKey(env, io, o.name, o.scopes)));
  keys
    .command('list')
    .description('names, scopes and dates; never the keys')
    .action(exitingAction(exit, async () => (await actions()).listKeys(env, io)));
  keys
    .command('revoke')
    .description('the key stops working at once')
    .argument('<name>', 'the name the key was created with')
    .action(exitingAction(exit, async (name: string) => (await actions()).revokeKey(env, io, name)));
  return keys.addHelpText(
    'after',
    `
admin includes write and metrics, and write includes read; pii:reveal must be granted by name.
metrics allows GET /metrics only: give it to Prometheus.
The database is {TFTSR_DATA_DIR}/tftsr.db; its key comes from TFTSR_DB_KEY or TFTSR_DB_KEY_FILE.`,
  );
}

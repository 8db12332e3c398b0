import { Command, Exit, exitingAction } from '../../../../libs/cli/src';
import { BaseConfig, Env, loadConfig } from '../../../../libs/config/src';
import {
  API_KEY_SCOPES,
  ApiKeyRepository,
  ApiKeyScope,
  AuditLogRepository,
  Db,
  deriveKey,
  generateApiKey,
  isApiKeyScope,
  loadMigrations,
  migrate,
  openDatabase,
  parseScopes,
  toDbTimestamp,
  transaction,
} from '../../../../libs/db/src';
import { CliError, CliIo } from '../cli-io';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `tftsr keys …`: API keys, kept as hashes in the database. */
export function keysCommand(env: Env, io: CliIo, exit: Exit): Command {
  const config = () => loadConfig(BaseConfig, env);
  const keys = new Command('keys').description('create, list and revoke API keys');
  keys
    .command('create')
    .description('make a key and print it once; only its hash is kept')
    .requiredOption('--name <name>', '1 to 64 letters, digits, dots, dashes or underscores')
    .requiredOption('--scopes <list>', `comma-separated: ${API_KEY_SCOPES.join(', ')}`)
    .action(exitingAction(exit, (o: { name: string; scopes: string }) => withDb(config(), (db, audit) => create(db, audit, o.name, o.scopes, io))));
  keys
    .command('list')
    .description('names, scopes and dates; never the keys')
    .action(exitingAction(exit, () => withDb(config(), (db) => list(db, io))));
  keys
    .command('revoke')
    .description('the key stops working at once')
    .argument('<name>', 'the name the key was created with')
    .action(exitingAction(exit, (name: string) => withDb(config(), (db, audit) => revoke(db, audit, name, io))));
  return keys.addHelpText(
    'after',
    `
admin includes write and metrics, and write includes read; pii:reveal must be granted by name.
metrics allows GET /metrics only: give it to Prometheus.
The database is {TFTSR_DATA_DIR}/tftsr.db; its key comes from TFTSR_DB_KEY or TFTSR_DB_KEY_FILE.`,
  );
}

function withDb(config: BaseConfig, fn: (db: Db, audit: AuditLogRepository) => number): number {
  const db = openDatabase({ path: config.databasePath, key: config.databaseKey });
  try {
    migrate(db, loadMigrations());
    return fn(db, new AuditLogRepository(db, deriveKey(config.databaseKey, 'audit-hmac')));
  } finally {
    db.close();
  }
}

function create(db: Db, audit: AuditLogRepository, name: string, scopeList: string, io: CliIo): number {
  if (!NAME.test(name)) throw new CliError('--name must be 1 to 64 letters, digits, dots, dashes or underscores');
  const scopes = [...new Set(scopeList.split(',').map((s) => s.trim()).filter(Boolean))];
  const unknown = scopes.filter((s) => !isApiKeyScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new CliError(`--scopes must list some of ${API_KEY_SCOPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  }
  const keys = new ApiKeyRepository(db);
  const key = generateApiKey();
  transaction(db, () => {
    if (keys.findByName(name)) throw new CliError(`a key named ${name} already exists; revoke it or choose another name`);
    const { id } = keys.insertKey(name, key, scopes as ApiKeyScope[]);
    audit.append({ action: 'create_api_key', entity_type: 'api_key', entity_id: id, details: { name, scopes } });
  });
  io.out(key);
  io.err(`created key ${name} with scopes ${(scopes as ApiKeyScope[]).join(', ')}; it is shown this once, only its hash is kept`);
  return 0;
}

function list(db: Db, io: CliIo): number {
  const rows = new ApiKeyRepository(db).listAll();
  for (const row of rows) {
    const state = row.revoked_at ? `revoked ${row.revoked_at}` : 'active';
    io.out([row.name, parseScopes(row.scopes).join(','), `created ${row.created_at}`, `last used ${row.last_used_at ?? 'never'}`, state].join('\t'));
  }
  io.err(`${rows.length} key(s)`);
  return 0;
}

function revoke(db: Db, audit: AuditLogRepository, name: string, io: CliIo): number {
  const keys = new ApiKeyRepository(db);
  transaction(db, () => {
    const row = keys.findByName(name);
    if (!row) throw new CliError(`no key is named ${name}`);
    if (!keys.revoke(name, toDbTimestamp())) throw new CliError(`key ${name} was already revoked`);
    audit.append({ action: 'revoke_api_key', entity_type: 'api_key', entity_id: row.id, details: { name } });
  });
  io.out(`revoked ${name}`);
  return 0;
}

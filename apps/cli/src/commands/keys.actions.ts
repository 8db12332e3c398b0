import 'reflect-metadata';
import type { Env } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';
import type { ApiKeyScope, Db } from '@tftsr/db';
import {
  API_KEY_SCOPES,
  ApiKeyRepository,
  generateApiKey,
  isApiKeyScope,
  loadMigrations,
  migrate,
  openDatabase,
  parseScopes,
  RepositorySet,
  toDbTimestamp,
  transaction,
} from '@tftsr/db';
import type { CliIo } from '../cli-io';
import { CliError } from '../cli-io';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The actions of `tftsr keys …`, loaded only when one of them runs (see keys.command.ts). */
export const createKey = (env: Env, io: CliIo, name: string, scopes: string): number =>
  withDb(env, (db, repositories) => create(db, repositories, name, scopes, io));
export const listKeys = (env: Env, io: CliIo): number => withDb(env, (_db, repositories) => list(repositories, io));
export const revokeKey = (env: Env, io: CliIo, name: string): number =>
  withDb(env, (db, repositories) => revoke(db, repositories, name, io));

function withDb(env: Env, fn: (db: Db, repositories: RepositorySet) => number): number {
  const config: BaseConfig = loadConfig(BaseConfig, env);
  const db = openDatabase({ path: config.databasePath, key: config.databaseKey });
  try {
    migrate(db, loadMigrations());
    return fn(db, new RepositorySet(db, config.databaseKey));
  } finally {
    db.close();
  }
}

function create(db: Db, repositories: RepositorySet, name: string, scopeList: string, io: CliIo): number {
  if (!NAME.test(name)) throw new CliError('--name must be 1 to 64 letters, digits, dots, dashes or underscores');
  const scopes = [
    ...new Set(
      scopeList
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = scopes.filter((s) => !isApiKeyScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new CliError(
      `--scopes must list some of ${API_KEY_SCOPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  const keys = repositories.get(ApiKeyRepository);
  const audit = repositories.audit();
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

function list(repositories: RepositorySet, io: CliIo): number {
  const rows = repositories.get(ApiKeyRepository).listAll();
  for (const row of rows) {
    const state = row.revoked_at ? `revoked ${row.revoked_at}` : 'active';
    io.out(
      [row.name, parseScopes(row.scopes).join(','), `created ${row.created_at}`, `last used ${row.last_used_at ?? 'never'}`, state].join(
        '\t',
      ),
    );
  }
  io.err(`${rows.length} key(s)`);
  return 0;
}

function revoke(db: Db, repositories: RepositorySet, name: string, io: CliIo): number {
  const keys = repositories.get(ApiKeyRepository);
  const audit = repositories.audit();
  transaction(db, () => {
    const row = keys.findByName(name);
    if (!row) throw new CliError(`no key is named ${name}`);
    if (!keys.revoke(name, toDbTimestamp())) throw new CliError(`key ${name} was already revoked`);
    audit.append({ action: 'revoke_api_key', entity_type: 'api_key', entity_id: row.id, details: { name } });
  });
  io.out(`revoked ${name}`);
  return 0;
}

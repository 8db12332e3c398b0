import { join } from 'node:path';
import { loadConfig } from '@tftsr/config';
import type { Db, GroupCommit } from '@tftsr/db';
import {
  ApiKeyRepository,
  AuditLogRepository,
  deriveKey,
  loadMigrations,
  migrate,
  offLoopGroupCommit,
  openDatabase,
  TransactionRunner,
} from '@tftsr/db';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { ApiConfig } from '../config/api.config';
import { ApiKeyService } from './api-key.service';

describe('ApiKeyService', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let keys: ApiKeyRepository;
  let audit: AuditLogRepository;
  let group: GroupCommit;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
    migrate(db, loadMigrations());
    keys = new ApiKeyRepository(db);
    audit = new AuditLogRepository(db, deriveKey(null, 'audit-hmac'));
    group = offLoopGroupCommit(db, 0);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  const service = (env: Record<string, string>) =>
    new ApiKeyService(group, new TransactionRunner(db), keys, audit, loadConfig(ApiConfig, env));

  it('in development, makes an admin key on first start, prints it once, and authenticates with it', () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    sut.ensureFirstKey((text) => printed.push(text));
    expect(printed).toHaveLength(1);
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    expect(sut.authenticate(key)).toEqual({ id: expect.any(String), name: 'admin', scopes: ['read', 'write', 'admin'] });
    expect(audit.list({ action: 'create_api_key', limit: 5 })).toHaveLength(1);
  });

  it('takes the first key from TFTSR_BOOTSTRAP_API_KEY and prints nothing', () => {
    const printed: string[] = [];
    const given = 'container-supplied-key-0123456789abcdef';
    const sut = service({ NODE_ENV: 'production', TFTSR_DB_KEY: 'production passphrase', TFTSR_BOOTSTRAP_API_KEY: given });
    sut.ensureFirstKey((text) => printed.push(text));
    expect(printed).toEqual([]);
    expect(sut.authenticate(given)?.name).toBe('bootstrap');
  });

  it('makes no key in production without TFTSR_BOOTSTRAP_API_KEY', () => {
    const sut = service({ NODE_ENV: 'production', TFTSR_DB_KEY: 'production passphrase' });
    sut.ensureFirstKey(() => undefined);
    expect(keys.count()).toBe(0);
  });

  it('refuses unknown, near-miss and revoked keys', () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    expect(sut.authenticate(`${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(sut.authenticate('tftsr_')).toBeNull();
    keys.revoke('admin', '2026-01-01 00:00:00');
    expect(sut.authenticate(key)).toBeNull();
  });

  it('reuses a lookup for less than a second: a key revoked behind its back is refused once that has passed', async () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    expect(sut.authenticate(key)?.name).toBe('admin');
    keys.revoke('admin', '2026-01-01 00:00:00');
    const revokedAt = Date.now();
    while (sut.authenticate(key) !== null) {
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('forgets its cached lookups when told a key was revoked here', () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    expect(sut.authenticate(key)?.name).toBe('admin');
    keys.revoke('admin', '2026-01-01 00:00:00');
    sut.forgetCachedKeys();
    expect(sut.authenticate(key)).toBeNull();
  });

  /** The bookkeeping goes with the group commit, after the request: what was queued before this has committed. */
  const committed = () => group.run(() => undefined);

  it('records when a key was last used, at most once a minute', async () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    sut.authenticate(key, new Date('2026-01-01T00:00:00Z'));
    sut.authenticate(key, new Date('2026-01-01T00:00:30Z'));
    await committed();
    expect(keys.findByName('admin')?.last_used_at).toBe('2026-01-01 00:00:00');
    sut.authenticate(key, new Date('2026-01-01T00:01:00Z'));
    await committed();
    expect(keys.findByName('admin')?.last_used_at).toBe('2026-01-01 00:01:00');
  });

  it('authenticates at once while another connection holds the write lock; the bookkeeping commits once it is free', async () => {
    const printed: string[] = [];
    const sut = service({ NODE_ENV: 'development' });
    sut.ensureFirstKey((text) => printed.push(text));
    const key = /Bearer (tftsr_\S+)/.exec(printed[0])?.[1] as string;
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
    try {
      other.exec('BEGIN IMMEDIATE');
      // Before, the UPDATE of last_used_at waited here in SQLite's busy handler, the event loop stopped.
      expect(sut.authenticate(key, new Date('2026-01-01T00:00:00Z'))?.name).toBe('admin');
      expect(group.queued + group.stats.lockRetries).toBeGreaterThan(0);
      expect(keys.findByName('admin')?.last_used_at).toBeNull();
      other.exec('COMMIT');
      await committed();
      expect(keys.findByName('admin')?.last_used_at).toBe('2026-01-01 00:00:00');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });
});

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../database';
import { API_KEY_SCOPES, type ApiKeyScope } from '../api-key-scopes';
import { newId, toDbTimestamp } from '../ids';

export { API_KEY_SCOPES, type ApiKeyScope } from '../api-key-scopes';

const KEY_PREFIX = 'tftsr_';
/** The non-secret start of a key that finds its row: `tftsr_` and 8 more characters (48 of 256 bits). */
const LOOKUP_PREFIX_LENGTH = KEY_PREFIX.length + 8;
export const MIN_API_KEY_LENGTH = 32;

/** A new key: `tftsr_` and 32 random bytes in base64url. Shown once; only its hash is kept. */
export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function apiKeyLookupPrefix(key: string): string {
  return key.slice(0, LOOKUP_PREFIX_LENGTH);
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(key, 'utf8').digest();
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

export function isApiKeyScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/** Scopes as stored; anything unknown in a row is dropped rather than trusted. */
export function parseScopes(json: string): ApiKeyScope[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((s): s is ApiKeyScope => typeof s === 'string' && isApiKeyScope(s)) : [];
  } catch {
    return [];
  }
}

/** One row of api_keys (migration 017). `scopes` is a JSON array; the key itself is never stored. */
export interface ApiKeyRow {
  id: string;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export class ApiKeyRepository {
  private readonly insertStmt;
  private readonly listStmt;
  private readonly findByNameStmt;
  private readonly listActiveByPrefixStmt;
  private readonly revokeStmt;
  private readonly touchStmt;
  private readonly countStmt;
  private readonly findByIdStmt;
  private readonly revokeByIdStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO api_keys (id, name, key_prefix, key_hash, scopes, created_at, last_used_at, revoked_at)
       VALUES (@id, @name, @key_prefix, @key_hash, @scopes, @created_at, @last_used_at, @revoked_at)`,
    );
    this.listStmt = db.prepare(`SELECT * FROM api_keys ORDER BY created_at, name`);
    this.findByNameStmt = db.prepare(`SELECT * FROM api_keys WHERE name = ?`);
    this.listActiveByPrefixStmt = db.prepare(`SELECT * FROM api_keys WHERE key_prefix = ? AND revoked_at IS NULL`);
    this.revokeStmt = db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL`);
    this.touchStmt = db.prepare(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`);
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM api_keys`);
    this.findByIdStmt = db.prepare(`SELECT * FROM api_keys WHERE id = ?`);
    this.revokeByIdStmt = db.prepare(`UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`);
  }

  insert(row: ApiKeyRow): void {
    this.insertStmt.run(row);
  }

  /** Stores a new key under `name`: only its hash and lookup prefix are kept. Returns the row. */
  insertKey(name: string, key: string, scopes: readonly ApiKeyScope[]): ApiKeyRow {
    const row: ApiKeyRow = {
      id: newId(),
      name,
      key_prefix: apiKeyLookupPrefix(key),
      key_hash: hashApiKey(key),
      scopes: JSON.stringify(scopes),
      created_at: toDbTimestamp(),
      last_used_at: null,
      revoked_at: null,
    };
    this.insertStmt.run(row);
    return row;
  }

  listAll(): ApiKeyRow[] {
    return this.listStmt.all() as ApiKeyRow[];
  }

  findByName(name: string): ApiKeyRow | undefined {
    return this.findByNameStmt.get(name) as ApiKeyRow | undefined;
  }

  /** The active row whose hash matches the presented key: found by its prefix, compared in constant time. */
  findActiveByKey(key: string): ApiKeyRow | undefined {
    return this.listActiveByPrefix(apiKeyLookupPrefix(key)).find((candidate) => apiKeyMatches(key, candidate.key_hash));
  }

  listActiveByPrefix(prefix: string): ApiKeyRow[] {
    return this.listActiveByPrefixStmt.all(prefix) as ApiKeyRow[];
  }

  /** Returns false when there is no such key or it was already revoked. */
  revoke(name: string, at: string): boolean {
    return this.revokeStmt.run(at, name).changes === 1;
  }

  touchLastUsed(id: string, at: string): void {
    this.touchStmt.run(at, id);
  }

  count(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  findById(id: string): ApiKeyRow | undefined {
    return this.findByIdStmt.get(id) as ApiKeyRow | undefined;
  }

  /** Returns false when there is no such key or it was already revoked. */
  revokeById(id: string, at: string): boolean {
    return this.revokeByIdStmt.run(at, id).changes === 1;
  }
}

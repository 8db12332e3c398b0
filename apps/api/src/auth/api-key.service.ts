import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  ApiKeyRepository,
  ApiKeyScope,
  AuditLogRepository,
  generateApiKey,
  GroupCommit,
  hashApiKey,
  parseScopes,
  toDbTimestamp,
  TransactionRunner,
} from '@tftsr/db';
import { ApiConfig } from '../config/api.config';
import { ApiKeyCache } from './api-key-cache';
import type { Principal } from './scopes.decorator';

/** last_used_at is bookkeeping: written at most this often per key, so reads do not each cost a commit. */
const LAST_USED_INTERVAL_MS = 60_000;
const FIRST_KEY_SCOPES: ApiKeyScope[] = ['read', 'write', 'admin'];
/**
 * How long a lookup is reused: a key revoked (or created) by another replica or by `tftsr keys` is seen within
 * this time. A TTL rather than a change counter read from the database: the counter would itself be a query per
 * request, which is most of what the cache saves.
 */
export const API_KEY_CACHE_TTL_MS = 500;
/** Keys in use are few (one per client); guessed keys are bounded apart so that they cannot push those out. */
const MAX_CACHED_KEYS = 1000;
const MAX_CACHED_UNKNOWN_KEYS = 1000;

@Injectable()
export class ApiKeyService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ApiKeys');
  private readonly lastTouched = new Map<string, number>();
  private readonly cache = new ApiKeyCache<Principal>(API_KEY_CACHE_TTL_MS, MAX_CACHED_KEYS, MAX_CACHED_UNKNOWN_KEYS);

  constructor(
    private readonly group: GroupCommit,
    private readonly tx: TransactionRunner,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditLogRepository,
    private readonly config: ApiConfig,
  ) {}

  /** The key's principal, or null when it is unknown or revoked. */
  authenticate(key: string, now: Date = new Date()): Principal | null {
    const hash = hashApiKey(key);
    let principal = this.cache.get(hash);
    if (principal === undefined) {
      const row = this.keys.findActiveByKey(key);
      principal = row ? { id: row.id, name: row.name, scopes: parseScopes(row.scopes) } : null;
      this.cache.set(hash, principal);
    }
    if (!principal) return null;
    const last = this.lastTouched.get(principal.id) ?? 0;
    if (now.getTime() - last >= LAST_USED_INTERVAL_MS) {
      this.lastTouched.set(principal.id, now.getTime());
      this.touch(principal, toDbTimestamp(now));
    }
    return principal;
  }

  /**
   * Bookkeeping that no request waits for: it goes with the next group commit, so a write lock held by the worker
   * never holds up the request that used the key. If it cannot be written, the next use tries again.
   */
  private touch(principal: Principal, at: string): void {
    this.group
      .run(() => this.keys.touchLastUsed(principal.id, at))
      .catch((err: unknown) => {
        this.lastTouched.delete(principal.id);
        this.logger.warn(`could not record when API key "${principal.name}" was last used: ${(err as Error).message}`);
      });
  }

  /** After a key is revoked in this process: no cached lookup outlives it here. */
  forgetCachedKeys(): void {
    this.cache.clear();
  }

  onApplicationBootstrap(): void {
    this.ensureFirstKey((text) => process.stdout.write(text));
  }

  /**
   * With no key at all, the API would be unusable: TFTSR_BOOTSTRAP_API_KEY becomes the first key, or, outside
   * production, a new admin key is made and printed once, as Jupyter prints its token.
   */
  ensureFirstKey(print: (text: string) => void): void {
    const given = this.config.TFTSR_BOOTSTRAP_API_KEY;
    if (!given && this.config.NODE_ENV === 'production') {
      if (this.keys.count() === 0) this.logger.warn(NO_KEY_MESSAGE);
      return;
    }
    const key = given ?? generateApiKey();
    // eslint-disable-next-line no-restricted-syntax -- at start-up, before the API listens: no request waits on the loop
    const created = this.tx.write(() => {
      if (this.keys.count() > 0) return false;
      const name = given ? 'bootstrap' : 'admin';
      const { id } = this.keys.insertKey(name, key, FIRST_KEY_SCOPES);
      this.audit.append({
        action: 'create_api_key',
        entity_type: 'api_key',
        entity_id: id,
        details: { name, scopes: FIRST_KEY_SCOPES, source: given ? 'TFTSR_BOOTSTRAP_API_KEY' : 'first_start' },
      });
      return true;
    });
    if (!created) return;
    if (given) {
      this.logger.log('created the first API key, "bootstrap", from TFTSR_BOOTSTRAP_API_KEY');
      return;
    }
    print(
      [
        '',
        '    No API key existed, so one was made with the scopes read, write and admin.',
        '    It is shown this once; only its hash is kept:',
        '',
        `        Authorization: Bearer ${key}`,
        '',
        '    Manage keys with `tftsr keys create|list|revoke`.',
        '',
      ].join('\n'),
    );
  }
}

/**
 * `tftsr` is on the PATH in the image (Dockerfile) and in a checkout through npx: the command shown is one that
 * runs as written in either place.
 */
export const NO_KEY_MESSAGE =
  'no API keys exist: create one with `tftsr keys create --name NAME --scopes read,write,admin` ' +
  '(in the container: `docker compose exec api tftsr keys create …`; in a checkout: `npx tftsr keys create …`), ' +
  'or set TFTSR_BOOTSTRAP_API_KEY_FILE before the first start';

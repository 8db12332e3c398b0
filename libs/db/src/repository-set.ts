import type { Db } from './database';
import { deriveKey } from './keys';
import { AuditLogRepository } from './repositories/audit-log.repository';

/**
 * The repositories over one connection, for code that Nest does not build (the CLI). Each is made on first use and
 * kept, so a command prepares statements only for the tables it touches (a restored or older file may lack some).
 */
export class RepositorySet {
  private readonly made = new Map<new (db: Db) => unknown, unknown>();
  private auditLog?: AuditLogRepository;

  constructor(
    readonly db: Db,
    private readonly key: string | null,
  ) {}

  get<T>(repository: new (db: Db) => T): T {
    let found = this.made.get(repository) as T | undefined;
    if (found === undefined) {
      found = new repository(this.db);
      this.made.set(repository, found);
    }
    return found;
  }

  /** The audit log, its chain keyed from the database key; with `key`, from another one (a rekey checks both). */
  audit(key?: string | null): AuditLogRepository {
    if (key !== undefined) return new AuditLogRepository(this.db, deriveKey(key, 'audit-hmac'));
    this.auditLog ??= new AuditLogRepository(this.db, deriveKey(this.key, 'audit-hmac'));
    return this.auditLog;
  }
}

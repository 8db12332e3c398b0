import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Db } from './database';
import { deriveKey } from './keys';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { DB } from './tokens';

export interface DatabaseModuleOptions {
  /** Opened, proved and migrated by the app's bootstrap before Nest starts, so key errors stay one clean line. */
  connection: Db;
  /** The database key, from which the audit HMAC key (and later others) derive. */
  key: string | null;
}

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Db) {}

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/** Gives both apps one connection to the shared file, and the repositories over it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DB, useValue: options.connection },
        { provide: AuditLogRepository, useFactory: (db: Db) => new AuditLogRepository(db, deriveKey(options.key, 'audit-hmac')), inject: [DB] },
        DatabaseCloser,
      ],
      exports: [DB, AuditLogRepository],
    };
  }
}

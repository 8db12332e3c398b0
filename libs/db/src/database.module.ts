import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { Db, openDatabase, OpenDatabaseOptions } from './database';
import { deriveKey } from './keys';
import { loadMigrations, migrate } from './migrate';
import { AuditLogRepository } from './repositories/audit-log.repository';

import { DB } from './tokens';

export interface DatabaseModuleOptions extends Omit<OpenDatabaseOptions, 'warn'> {
  /** Apply pending migrations at boot. Both apps do: whichever comes second finds nothing to do. */
  migrate: boolean;
}

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Db) {}

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/** Gives both apps one connection to the shared file, opened, proved and migrated before anything else runs. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DB,
          useFactory: (): Db => {
            const db = openDatabase({ ...options, warn: (m) => logger.warn(m) });
            if (options.migrate) {
              const applied = migrate(db, loadMigrations());
              if (applied.length > 0) logger.log(`applied ${applied.length} migration(s): ${applied.join(', ')}`);
            }
            return db;
          },
        },
        {
          provide: AuditLogRepository,
          useFactory: (db: Db) => new AuditLogRepository(db, deriveKey(options.key, 'audit-hmac')),
          inject: [DB],
        },
        DatabaseCloser,
      ],
      exports: [DB, AuditLogRepository],
    };
  }
}

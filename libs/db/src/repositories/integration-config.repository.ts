import type { Db } from '../database';
import type { IntegrationConfig, IntegrationService } from '../models';

/** The seed's `integration_config`: one row per service, replaced in place (its id survives an update). */
export class IntegrationConfigRepository {
  private readonly getStmt;
  private readonly listStmt;
  private readonly upsertStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare(`SELECT * FROM integration_config WHERE service = ?`);
    this.listStmt = db.prepare(`SELECT * FROM integration_config ORDER BY service`);
    this.upsertStmt = db.prepare(
      `INSERT INTO integration_config (id, service, base_url, username, project_name, space_key, auto_create_enabled, updated_at)
       VALUES (@id, @service, @base_url, @username, @project_name, @space_key, @auto_create_enabled, @updated_at)
       ON CONFLICT(service) DO UPDATE SET base_url = excluded.base_url, username = excluded.username,
         project_name = excluded.project_name, space_key = excluded.space_key,
         auto_create_enabled = excluded.auto_create_enabled, updated_at = excluded.updated_at`,
    );
  }

  get(service: IntegrationService): IntegrationConfig | undefined {
    return this.getStmt.get(service) as IntegrationConfig | undefined;
  }

  list(): IntegrationConfig[] {
    return this.listStmt.all() as IntegrationConfig[];
  }

  /** Inserts or replaces the service's row; returns the stored row. */
  upsert(config: IntegrationConfig): IntegrationConfig {
    this.upsertStmt.run(config);
    return this.get(config.service)!;
  }
}

import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AuditLogRepository, GroupCommit, SettingRepository, toDbTimestamp } from '@tftsr/db';
import { readPiiConfig } from '@tftsr/pii';
import type { PiiConfig } from '@tftsr/pii';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SettingResponse } from './settings.dto';
import { InvalidSettingValue, isSettingKey, SETTING_KEYS, SettingKey, SETTINGS, SettingValues } from './settings.registry';
import { toApiTime } from '../common/api-time';

/** How long a setting read by value() is reused: the API-key cache's bound, so another writer's change applies within a second. */
export const SETTINGS_CACHE_MS = 500;

@Injectable()
export class SettingsService {
  private readonly logger = new Logger('Settings');
  private readonly cache = new Map<SettingKey, { value: unknown; expires: number }>();

  constructor(
    private readonly group: GroupCommit,
    private readonly settings: SettingRepository,
    private readonly audit: AuditLogRepository,
  ) {}

  /**
   * The typed value other services read: the stored one, or the default. Read on every upload and shipper request,
   * so it is cached for SETTINGS_CACHE_MS: a PUT through this process applies at once (put() forgets the cache);
   * one through another API replica, or a settings import by the CLI, within that time. Treat it as read-only.
   */
  value<K extends SettingKey>(key: K): SettingValues[K] {
    const now = performance.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.value as SettingValues[K];
    const value = this.describe(key).value;
    this.cache.set(key, { value, expires: now + SETTINGS_CACHE_MS });
    return value as SettingValues[K];
  }

  /** The PII settings in force, through the reader the worker uses too (libs/pii), so both apps redact alike. */
  piiConfig(): PiiConfig {
    return readPiiConfig(this.settings);
  }

  list(): SettingResponse[] {
    return SETTING_KEYS.map((key) => this.describe(key));
  }

  get(key: string): SettingResponse {
    return this.describe(this.known(key));
  }

  async put(key: string, raw: unknown, actor: string): Promise<SettingResponse> {
    const known = this.known(key);
    let value: unknown;
    try {
      value = SETTINGS[known].parse(raw);
    } catch (err) {
      if (!(err instanceof InvalidSettingValue)) throw err;
      throw new DomainError(ErrorCode.INVALID_SETTING_VALUE, `${known} ${err.message}`, { key: known, reason: err.message });
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the registry's toStored functions never read `this`
    const toStored = SETTINGS[known].toStored as ((v: unknown) => unknown) | undefined;
    const json = JSON.stringify(toStored ? toStored(value) : value);
    await this.group.run(() => {
      this.settings.upsert({ key: known, value: json, updated_at: toDbTimestamp() });
      // The allow-list holds exactly the values PII detection would flag: only a hash goes in the audit.
      this.audit.append({
        action: 'update_setting',
        entity_type: 'setting',
        entity_id: known,
        user_id: actor,
        details: { key: known, value_sha256: createHash('sha256').update(json).digest('hex') },
      });
    });
    this.cache.clear();
    return this.describe(known);
  }

  private known(key: string): SettingKey {
    if (!isSettingKey(key)) {
      throw new DomainError(ErrorCode.SETTING_NOT_FOUND, `no setting is called ${JSON.stringify(key.slice(0, 100))}`, {
        known_keys: SETTING_KEYS,
      });
    }
    return key;
  }

  private describe(key: SettingKey): SettingResponse {
    const definition = SETTINGS[key];
    const row = this.settings.findByKey(key);
    let value: unknown = definition.default;
    let isDefault = true;
    if (row) {
      try {
        const stored: unknown = JSON.parse(row.value);
        value = definition.fromStored ? (definition.fromStored as (s: unknown) => unknown)(stored) : definition.parse(stored);
        isDefault = false;
      } catch {
        // A value written by hand or by an older version: the default holds until someone PUTs a valid one.
        this.logger.warn(`setting ${key} holds an invalid value; using its default`);
      }
    }
    return {
      key,
      value,
      is_default: isDefault,
      updated_at: isDefault ? null : toApiTime(row?.updated_at),
      description: definition.description,
    };
  }
}

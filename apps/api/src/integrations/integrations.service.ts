import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import {
  AuditLogRepository,
  CredentialRepository,
  deriveKey,
  GroupCommit,
  IntegrationConfig,
  IntegrationConfigRepository,
  IntegrationService,
  newId,
  toDbTimestamp,
} from '@tftsr/db';
import {
  checkTargetUrl,
  createPublisher,
  credentialExpired,
  credentialHash,
  CredentialIntegrityError,
  decryptCredential,
  encryptCredential,
  IntegrationHttp,
  isLegacyCredentialHash,
  PublishError,
  requiredConfigFields,
  TargetPolicy,
} from '@tftsr/integrations';
import { ApiConfig } from '../config/api.config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SettingsService } from '../settings/settings.service';
import {
  ConnectionTestResponse,
  IntegrationListResponse,
  IntegrationResponse,
  SaveCredentialBody,
  SaveIntegrationConfigBody,
  SERVICES,
  toIntegrationResponse,
} from './integrations.dto';

/**
 * Integration settings and secrets (admin only). A secret goes in and never comes out: it is stored with the
 * seed's AES-256-GCM format under its own derived key, and responses only say whether one is set.
 */
@Injectable()
export class IntegrationsService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Integrations');
  private readonly credentialKey: Buffer;
  private readonly tokenHashKey: Buffer;

  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly config: ApiConfig,
    private readonly configs: IntegrationConfigRepository,
    private readonly credentials: CredentialRepository,
  ) {
    this.credentialKey = deriveKey(config.databaseKey, 'credential-encryption');
    this.tokenHashKey = deriveKey(config.databaseKey, 'credential-token-hmac');
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.upgradeTokenHashes();
  }

  /**
   * One-time upgrade of rows written when token_hash was a bare SHA-256 of the secret: each secret is decrypted
   * and hashed again with the keyed HMAC, all in one transaction with one audit entry that records it. Rows
   * already upgraded are left alone, so it runs at every start and does nothing after the first. A secret that
   * no longer decrypts cannot be hashed again: its weak hash is dropped instead. Audit entries written before
   * keep the old hashes: the chain is append-only.
   */
  async upgradeTokenHashes(): Promise<number> {
    return this.group.run(() => {
      const legacy = this.credentials.listAll().filter((row) => isLegacyCredentialHash(row.token_hash));
      if (legacy.length === 0) return 0;
      const unreadable: string[] = [];
      for (const row of legacy) {
        let hash = 'hmac-sha256:unavailable';
        try {
          hash = credentialHash(decryptCredential(row.encrypted_token, row.service, this.credentialKey), this.tokenHashKey);
        } catch (err) {
          if (!(err instanceof CredentialIntegrityError)) throw err;
          unreadable.push(row.service);
        }
        this.credentials.replaceTokenHash(row.id, hash);
      }
      this.audit.append({
        action: 'upgrade_credential_token_hashes',
        entity_type: 'credential',
        entity_id: 'all',
        details: { upgraded: legacy.map((row) => row.service), unreadable, scheme: 'hmac-sha256 (credential-token-hmac)' },
      });
      if (unreadable.length)
        this.logger.warn(`credential(s) that no longer decrypt, hash dropped: ${unreadable.join(', ')}; enter them again`);
      this.logger.log(`token_hash of ${legacy.length} credential(s) upgraded to a keyed HMAC`);
      return legacy.length;
    });
  }

  list(): IntegrationListResponse {
    return { items: SERVICES.map((service) => this.describe(service)) };
  }

  async saveConfig(rawService: string, body: SaveIntegrationConfigBody, actor: string): Promise<IntegrationResponse> {
    const service = knownService(rawService);
    const baseUrl = this.checkUrl(service, body.base_url);
    const missing = requiredConfigFields(service).filter((field) => !body[field]);
    if (missing.length) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `${service} needs ${missing.join(' and ')}`, {
        problems: missing.map((f) => `${f} is required for ${service}`),
      });
    }
    await this.group.run(() => {
      const before = this.configs.get(service);
      const row: IntegrationConfig = {
        id: before?.id ?? newId(),
        service,
        base_url: baseUrl,
        username: body.username ?? null,
        project_name: body.project_name ?? null,
        space_key: body.space_key ?? null,
        auto_create_enabled: body.auto_create_enabled ? 1 : 0,
        updated_at: toDbTimestamp(),
      };
      this.configs.upsert(row);
      const credentialCleared =
        before !== undefined &&
        new URL(before.base_url).origin !== new URL(baseUrl).origin &&
        this.clearCredential(service, before.base_url, baseUrl, actor);
      this.audit.append({
        action: 'save_integration_config',
        entity_type: 'integration_config',
        entity_id: row.id,
        user_id: actor,
        details: {
          service,
          host: new URL(baseUrl).host,
          auto_create_enabled: row.auto_create_enabled === 1,
          created: before === undefined,
          credential_cleared: credentialCleared,
        },
      });
    });
    return this.describe(service);
  }

  async saveCredential(rawService: string, body: SaveCredentialBody, actor: string): Promise<IntegrationResponse> {
    const service = knownService(rawService);
    const expiresAt = body.expires_at === undefined ? null : toDbTimestamp(new Date(body.expires_at));
    const tokenHash = credentialHash(body.secret, this.tokenHashKey);
    const encrypted = encryptCredential(body.secret, service, this.credentialKey);
    await this.group.run(() => {
      const before = this.credentials.get(service);
      const row = this.credentials.upsert({
        id: before?.id ?? newId(),
        service,
        token_hash: tokenHash,
        encrypted_token: encrypted,
        created_at: toDbTimestamp(),
        expires_at: expiresAt,
      });
      this.audit.append({
        action: 'save_credential',
        entity_type: 'credential',
        entity_id: row.id,
        user_id: actor,
        details: { service, token_hash: tokenHash, expires_at: expiresAt, replaced: before !== undefined },
      });
    });
    return this.describe(service);
  }

  async deleteCredential(rawService: string, actor: string): Promise<void> {
    const service = knownService(rawService);
    await this.group.run(() => {
      const before = this.credentials.get(service);
      if (!before) throw new DomainError(ErrorCode.CREDENTIAL_NOT_SET, `no ${service} credential is stored`);
      this.credentials.delete(service);
      this.audit.append({
        action: 'delete_credential',
        entity_type: 'credential',
        entity_id: before.id,
        user_id: actor,
        details: { service, token_hash: before.token_hash },
      });
    });
  }

  /**
   * A credential belongs to the host it was entered for: a base URL moved to another host (even an allowed one)
   * drops it, in the same transaction, so the next publish cannot carry it there. The admin enters it again.
   */
  private clearCredential(service: IntegrationService, fromUrl: string, toUrl: string, actor: string): boolean {
    const credential = this.credentials.get(service);
    if (!credential) return false;
    this.credentials.delete(service);
    this.audit.append({
      action: 'delete_credential',
      entity_type: 'credential',
      entity_id: credential.id,
      user_id: actor,
      details: {
        service,
        token_hash: credential.token_hash,
        reason: 'base_url_host_changed',
        from_host: new URL(fromUrl).host,
        to_host: new URL(toUrl).host,
      },
    });
    return true;
  }

  /** One authenticated read against the service; says in words what failed, never with the secret. */
  async test(rawService: string): Promise<ConnectionTestResponse> {
    const service = knownService(rawService);
    const config = this.configs.get(service);
    if (!config)
      return {
        ok: false,
        failure: 'not_configured',
        message: `${service} is not configured: PUT /v1/integrations/${service}/config first`,
      };
    const url = checkTargetUrl(config.base_url, service, this.policy());
    if (!url.ok) return { ok: false, failure: 'invalid_url', message: `the stored base URL is no longer allowed: ${url.reason}` };
    const credential = this.credentials.get(service);
    if (!credential)
      return {
        ok: false,
        failure: 'credential',
        message: `no ${service} credential is stored: PUT /v1/integrations/${service}/credential first`,
      };
    if (credentialExpired(credential.expires_at))
      return { ok: false, failure: 'credential', message: `the ${service} credential expired at ${credential.expires_at} UTC` };
    let secret: string;
    try {
      secret = decryptCredential(credential.encrypted_token, service, this.credentialKey);
    } catch (err) {
      if (err instanceof CredentialIntegrityError) return { ok: false, failure: 'credential', message: err.message };
      throw err;
    }
    const http = new IntegrationHttp();
    try {
      const publisher = createPublisher(service, http, { username: config.username, secret }, { timeoutMs: 15_000 });
      await publisher.testConnection({
        service,
        baseUrl: url.url,
        username: config.username,
        projectName: config.project_name,
        spaceKey: config.space_key,
        options: {},
      });
      return { ok: true, message: `connected to ${url.url.host} and authenticated` };
    } catch (err) {
      if (err instanceof PublishError)
        return { ok: false, failure: err.kind, message: err.message, ...(err.status ? { status: err.status } : {}) };
      return { ok: false, failure: 'network', message: 'the connection failed' };
    } finally {
      await http.close();
    }
  }

  private describe(service: IntegrationService): IntegrationResponse {
    return toIntegrationResponse(service, this.configs.get(service), this.credentials.get(service));
  }

  private checkUrl(service: IntegrationService, raw: string): string {
    const check = checkTargetUrl(raw.trim(), service, this.policy());
    if (!check.ok) throw new DomainError(ErrorCode.INVALID_INTEGRATION_URL, `base_url refused: ${check.reason}`, { service });
    return `${check.url.origin}${check.url.pathname.replace(/\/+$/, '')}`;
  }

  private policy(): TargetPolicy {
    return { extraHosts: this.settings.value('integrations.allowed_hosts'), testOrigins: this.config.testIntegrationOrigins };
  }
}

function knownService(service: string): IntegrationService {
  if (!(SERVICES as readonly string[]).includes(service)) {
    throw new DomainError(ErrorCode.UNKNOWN_INTEGRATION, `no integration '${service}'; known: ${SERVICES.join(', ')}`);
  }
  return service as IntegrationService;
}

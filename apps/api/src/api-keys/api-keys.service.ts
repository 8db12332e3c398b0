import { Injectable } from '@nestjs/common';
import { ApiKeyRepository, AuditLogRepository, generateApiKey, GroupCommit, parseScopes, toDbTimestamp } from '@tftsr/db';
import { ApiKeyService } from '../auth/api-key.service';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ApiKeyResponse, CreateApiKeyBody, CreatedApiKeyResponse, toApiKeyResponse } from './api-keys.dto';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly group: GroupCommit,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditLogRepository,
    private readonly authKeys: ApiKeyService,
  ) {}

  list(): ApiKeyResponse[] {
    return this.keys.listAll().map(toApiKeyResponse);
  }

  async create(body: CreateApiKeyBody, actor: string): Promise<CreatedApiKeyResponse> {
    const key = generateApiKey();
    const row = await this.group.run(() => {
      if (this.keys.findByName(body.name)) {
        throw new DomainError(ErrorCode.API_KEY_NAME_TAKEN, `a key named ${body.name} already exists; revoke it or choose another name`, {
          name: body.name,
        });
      }
      const inserted = this.keys.insertKey(body.name, key, body.scopes);
      this.audit.append({
        action: 'create_api_key',
        entity_type: 'api_key',
        entity_id: inserted.id,
        user_id: actor,
        details: { name: body.name, scopes: body.scopes, source: 'api' },
      });
      return inserted;
    });
    return { ...toApiKeyResponse(row), key };
  }

  /** The key stops working here at once (the lookup cache forgets it); other replicas see it within their TTL. */
  async revoke(id: string, actor: string): Promise<ApiKeyResponse> {
    const revoked = await this.group.run(() => {
      const row = this.keys.findById(id);
      if (!row || row.revoked_at) throw new DomainError(ErrorCode.API_KEY_NOT_FOUND, 'no active API key has this id', { id });
      const isAdmin = parseScopes(row.scopes).includes('admin');
      const admins = this.keys.listAll().filter((k) => !k.revoked_at && parseScopes(k.scopes).includes('admin'));
      if (isAdmin && admins.length === 1) {
        throw new DomainError(ErrorCode.LAST_ADMIN_KEY, 'this is the last active admin key; create another admin key first');
      }
      this.keys.revokeById(id, toDbTimestamp());
      this.audit.append({
        action: 'revoke_api_key',
        entity_type: 'api_key',
        entity_id: id,
        user_id: actor,
        details: { name: row.name, source: 'api' },
      });
      return toApiKeyResponse(this.keys.findById(id) as NonNullable<ReturnType<ApiKeyRepository['findById']>>);
    });
    this.authKeys.forgetCachedKeys();
    return revoked;
  }
}

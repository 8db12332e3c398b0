import { Injectable } from '@nestjs/common';
import { AuditLogRepository, deriveKey, GroupCommit, newId, WebhookRepository } from '@tftsr/db';
import { checkWebhookUrl, displayUrl, newWebhookSecret, sealWebhookSecret } from '@tftsr/integrations';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ApiConfig } from '../config/api.config';
import {
  CreatedWebhookResponse,
  CreateWebhookBody,
  toWebhookDeliveryResponse,
  toWebhookResponse,
  WebhookDeliveryListResponse,
  WebhookListResponse,
} from './webhooks.dto';

/**
 * Outgoing webhook endpoints (admin only). The URL and the signing secret are stored encrypted under their own
 * derived key; the secret is returned once, at creation. Deliveries are written by the events themselves.
 */
@Injectable()
export class WebhooksService {
  private readonly key: Buffer;

  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly config: ApiConfig,
    private readonly webhooks: WebhookRepository,
  ) {
    this.key = deriveKey(config.databaseKey, 'webhook-encryption');
  }

  async create(body: CreateWebhookBody, actor: string): Promise<CreatedWebhookResponse> {
    const url = checkWebhookUrl(body.url, body.format, { extraHosts: [], testOrigins: this.config.testIntegrationOrigins });
    if (!url.ok) throw new DomainError(ErrorCode.INVALID_WEBHOOK_URL, `the webhook URL is not allowed: ${url.reason}`);
    const id = newId();
    const secret = body.format === 'json' ? newWebhookSecret() : null;
    const row = await this.group.run(() => {
      const created = this.webhooks.createEndpoint({
        id,
        name: body.name,
        format: body.format,
        display_url: displayUrl(url.url.href, body.format),
        encrypted_url: sealWebhookSecret(url.url.href, id, this.key),
        encrypted_secret: secret === null ? null : sealWebhookSecret(secret, id, this.key),
        events: JSON.stringify(body.events),
        created_by: actor,
      });
      this.audit.append({
        action: 'create_webhook',
        entity_type: 'webhook_endpoint',
        entity_id: id,
        user_id: actor,
        details: { format: body.format, events: body.events, host: url.url.hostname },
      });
      return created;
    });
    return { ...toWebhookResponse(row), secret };
  }

  list(): WebhookListResponse {
    return { items: this.webhooks.listEndpoints().map(toWebhookResponse) };
  }

  deliveries(id: string): WebhookDeliveryListResponse {
    if (!this.webhooks.getEndpoint(id)) throw new DomainError(ErrorCode.WEBHOOK_NOT_FOUND, `webhook ${id} does not exist`);
    return { items: this.webhooks.listDeliveries(id).map(toWebhookDeliveryResponse) };
  }

  async remove(id: string, actor: string): Promise<void> {
    await this.group.run(() => {
      if (!this.webhooks.deleteEndpoint(id)) throw new DomainError(ErrorCode.WEBHOOK_NOT_FOUND, `webhook ${id} does not exist`);
      this.audit.append({ action: 'delete_webhook', entity_type: 'webhook_endpoint', entity_id: id, user_id: actor, details: {} });
    });
  }
}

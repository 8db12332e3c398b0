import { Body, Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { Location } from '../common/location';
import { CreatedWebhookResponse, CreateWebhookBody, WebhookDeliveryListResponse, WebhookListResponse } from './webhooks.dto';
import { WebhooksService } from './webhooks.service';
import { Post } from '../idempotency/post.decorator';

/** Admin only: an endpoint URL decides where events go, and its secret signs them. */
@ApiTags('webhooks')
@RequireScopes('admin')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  // The path DELETE takes to remove it, as for API keys.
  @Location((hook: CreatedWebhookResponse) => `/v1/webhooks/${hook.id}`)
  @ApiCreatedResponse({ type: CreatedWebhookResponse, description: 'The endpoint, with its signing secret (json) shown this once.' })
  @ApiErrors(ErrorCode.INVALID_WEBHOOK_URL, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async create(@Body() body: CreateWebhookBody, @Actor() actor: string): Promise<CreatedWebhookResponse> {
    return this.webhooks.create(body, actor);
  }

  @Get()
  @ApiOkResponse({ type: WebhookListResponse, description: 'Every endpoint; never a secret, and of a Slack URL only its host.' })
  @ApiErrors()
  list(): WebhookListResponse {
    return this.webhooks.list();
  }

  @Get(':id/deliveries')
  @ApiOkResponse({ type: WebhookDeliveryListResponse, description: 'The latest 50 deliveries to this endpoint.' })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  deliveries(@Param('id') id: string): WebhookDeliveryListResponse {
    return this.webhooks.deliveries(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted, with its pending deliveries.' })
  @ApiErrors(ErrorCode.WEBHOOK_NOT_FOUND)
  remove(@Param('id') id: string, @Actor() actor: string): Promise<void> {
    return this.webhooks.remove(id, actor);
  }
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, Length } from 'class-validator';
import { WebhookDelivery, WebhookEndpoint } from '@tftsr/db';
import { WEBHOOK_EVENTS, WEBHOOK_FORMATS, WebhookEvent, WebhookFormat } from '@tftsr/integrations';

export class CreateWebhookBody {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({
    description:
      'https, default port, a public host name (checked again at each delivery, address included). Slack: the https://hooks.slack.com/services/... URL, stored encrypted and never shown again.',
    example: 'https://hooks.example.com/tftsr',
  })
  @IsString()
  @Length(1, 2000)
  url: string;

  @ApiProperty({
    enum: WEBHOOK_FORMATS,
    description: '`json`: our body, signed (TFTSR-Signature: t=...,v1=HMAC-SHA256). `slack`: an incoming-webhook message.',
  })
  @IsIn([...WEBHOOK_FORMATS])
  format: WebhookFormat;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn([...WEBHOOK_EVENTS], { each: true })
  events: WebhookEvent[];
}

export class WebhookResponse {
  @ApiProperty()
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: WEBHOOK_FORMATS })
  format: WebhookFormat;

  @ApiProperty({ description: 'The URL; of a Slack URL (a secret) only its host.' })
  url: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true })
  events: WebhookEvent[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, format: 'date-time', description: 'ISO 8601, UTC' })
  created_at: string;
}

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'json only: the signing secret. Shown this once; stored encrypted, never returned again.',
  })
  secret: string | null;
}

export class WebhookListResponse {
  @ApiProperty({ type: [WebhookResponse] })
  items: WebhookResponse[];
}

export class WebhookDeliveryResponse {
  @ApiProperty()
  id: string;

  @ApiProperty()
  event_id: string;

  @ApiProperty({ enum: WEBHOOK_EVENTS })
  event_type: string;

  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] })
  state: string;

  @ApiProperty()
  attempts: number;

  @ApiProperty({ type: Number, nullable: true })
  last_status: number | null;

  @ApiProperty({ type: String, nullable: true })
  last_error: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'ISO 8601, UTC' })
  delivered_at: string | null;
}

export class WebhookDeliveryListResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] })
  items: WebhookDeliveryResponse[];
}

export function toWebhookResponse(row: WebhookEndpoint): WebhookResponse {
  return {
    id: row.id,
    name: row.name,
    format: row.format,
    url: row.display_url,
    events: JSON.parse(row.events) as WebhookEvent[],
    enabled: row.enabled === 1,
    created_at: new Date(row.created_at).toISOString(),
  };
}

export function toWebhookDeliveryResponse(row: WebhookDelivery): WebhookDeliveryResponse {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    state: row.state,
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    delivered_at: row.delivered_at === null ? null : new Date(row.delivered_at).toISOString(),
  };
}

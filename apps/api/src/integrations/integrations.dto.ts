import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, Matches } from 'class-validator';
import { Credential, IntegrationConfig, IntegrationService } from '@tftsr/db';
import { ConfigField, credentialExpired, TARGET_NAMES, targetOf } from '@tftsr/integrations';
import { OptionalTime } from '../common/validation';
import { ApiTime, toApiTime } from '../common/api-time';

export const SERVICES: readonly IntegrationService[] = TARGET_NAMES;

/** `Confluence: the space key (required).` for each target that reads `field`. */
function fieldDescription(field: ConfigField): string {
  return SERVICES.flatMap((name) => {
    const use = targetOf(name).config[field];
    return use ? [`${targetOf(name).label}: ${use.description}${use.required ? ' (required)' : ''}.`] : [];
  }).join(' ');
}

const HOSTS_DESCRIPTION = SERVICES.map((name) => `${targetOf(name).hosts.join(' and ')} (${targetOf(name).label})`).join(', ');
const SECRET_DESCRIPTION = SERVICES.map((name) => targetOf(name).credential.description).join(', ');

export class SaveIntegrationConfigBody {
  @ApiProperty({
    description: `https only, default port. Allowed hosts: ${HOSTS_DESCRIPTION}, plus the setting integrations.allowed_hosts.`,
    example: 'https://acme.atlassian.net',
  })
  @IsString()
  @Length(1, 2000)
  base_url: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: fieldDescription('username') })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  username?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: fieldDescription('project_name') })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  project_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: fieldDescription('space_key') })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(/^[A-Za-z0-9~_-]+$/, { message: 'space_key must be a Confluence space key (letters, digits, ~, _ or -)' })
  space_key?: string | null;

  @ApiPropertyOptional({
    default: false,
    description:
      'Publish every generated document to this service automatically; for ServiceNow, also open an incident when a critical issue is created.',
  })
  @IsOptional()
  @IsBoolean()
  auto_create_enabled?: boolean;
}

export class SaveCredentialBody {
  @ApiProperty({
    description: `Write-only: ${SECRET_DESCRIPTION}. Stored encrypted; never returned.`,
    minLength: 1,
    maxLength: 8192,
  })
  @IsString()
  @Length(1, 8192)
  @Matches(/^[^\r\n]+$/, { message: 'secret must be one line' })
  secret: string;

  @OptionalTime('When the secret stops working; publishing refuses an expired credential with a clear reason.')
  expires_at?: string;
}

export class CredentialStatus {
  @ApiProperty()
  set: boolean;

  @ApiTime({ nullable: true })
  created_at: string | null;

  @ApiTime({ nullable: true })
  expires_at: string | null;

  @ApiProperty()
  expired: boolean;
}

export class IntegrationResponse {
  @ApiProperty({ enum: SERVICES })
  service: IntegrationService;

  @ApiProperty({ description: 'False until PUT /v1/integrations/{service}/config.' })
  configured: boolean;

  @ApiProperty({ type: String, nullable: true })
  base_url: string | null;

  @ApiProperty({ type: String, nullable: true })
  username: string | null;

  @ApiProperty({ type: String, nullable: true })
  project_name: string | null;

  @ApiProperty({ type: String, nullable: true })
  space_key: string | null;

  @ApiProperty()
  auto_create_enabled: boolean;

  @ApiTime({ nullable: true })
  updated_at: string | null;

  @ApiProperty({ type: CredentialStatus, description: 'Whether a secret is stored; never the secret, encrypted or not.' })
  credential: CredentialStatus;
}

export class IntegrationListResponse {
  @ApiProperty({ type: [IntegrationResponse] })
  items: IntegrationResponse[];
}

export class ConnectionTestResponse {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ description: 'What was checked, or what failed, in words: never the secret.' })
  message: string;

  @ApiPropertyOptional({
    description:
      'The kind of failure: not_configured, credential, invalid_url, dns, tls, blocked, timeout, network, auth, forbidden, not_found, …',
  })
  failure?: string;

  @ApiPropertyOptional({ description: 'The remote HTTP status, when the remote answered.' })
  status?: number;
}

export function toIntegrationResponse(
  service: IntegrationService,
  config: IntegrationConfig | undefined,
  credential: Credential | undefined,
  now = new Date(),
): IntegrationResponse {
  return {
    service,
    configured: config !== undefined,
    base_url: config?.base_url ?? null,
    username: config?.username ?? null,
    project_name: config?.project_name ?? null,
    space_key: config?.space_key ?? null,
    auto_create_enabled: config?.auto_create_enabled === 1,
    updated_at: toApiTime(config?.updated_at),
    credential: {
      set: credential !== undefined,
      created_at: toApiTime(credential?.created_at),
      expires_at: toApiTime(credential?.expires_at),
      expired: credential ? credentialExpired(credential.expires_at, now) : false,
    },
  };
}

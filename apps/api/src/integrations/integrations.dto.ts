import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { Credential, IntegrationConfig, IntegrationService } from '../../../../libs/db/src';
import { credentialExpired } from '../../../../libs/integrations/src';
import { OptionalTime } from '../common/validation';
import { ApiTime, toApiTime } from '../common/api-time';

export const SERVICES: readonly IntegrationService[] = ['confluence', 'servicenow', 'azuredevops'];

export class SaveIntegrationConfigBody {
  @ApiProperty({
    description: 'https only, default port. Allowed hosts: *.atlassian.net and api.atlassian.com (Confluence), *.service-now.com (ServiceNow), dev.azure.com and *.visualstudio.com (Azure DevOps), plus the setting integrations.allowed_hosts.',
    example: 'https://acme.atlassian.net',
  })
  @IsString()
  @Length(1, 2000)
  base_url: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'ServiceNow: the user. Confluence: the account e-mail for an API token (leave empty for an OAuth bearer).' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  username?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Azure DevOps: the project (required for it).' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  project_name?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Confluence: the space key (required for it).' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  @Matches(/^[A-Za-z0-9~_-]+$/, { message: 'space_key must be a Confluence space key (letters, digits, ~, _ or -)' })
  space_key?: string | null;

  @ApiPropertyOptional({
    default: false,
    description: 'Publish every generated document to this service automatically; for ServiceNow, also open an incident when a critical issue is created.',
  })
  @IsOptional()
  @IsBoolean()
  auto_create_enabled?: boolean;
}

export class SaveCredentialBody {
  @ApiProperty({
    description: 'Write-only: a Confluence API token or OAuth bearer, a ServiceNow password, an Azure DevOps PAT. Stored encrypted; never returned.',
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
    description: 'The kind of failure: not_configured, credential, invalid_url, dns, tls, blocked, timeout, network, auth, forbidden, not_found, …',
  })
  failure?: string;

  @ApiPropertyOptional({ description: 'The remote HTTP status, when the remote answered.' })
  status?: number;
}

export function toIntegrationResponse(service: IntegrationService, config: IntegrationConfig | undefined, credential: Credential | undefined, now = new Date()): IntegrationResponse {
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


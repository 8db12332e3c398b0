import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import {
  ConnectionTestResponse,
  IntegrationListResponse,
  IntegrationResponse,
  SaveCredentialBody,
  SaveIntegrationConfigBody,
  SERVICES,
} from './integrations.dto';
import { IntegrationsService } from './integrations.service';
import { Post } from '../idempotency/post.decorator';

const SERVICE_PARAM = ApiParam({ name: 'service', enum: SERVICES });

/** Admin only: integration settings and secrets are API5 territory (OWASP API Security Top 10). */
@ApiTags('integrations')
@RequireScopes('admin')
@Controller('v1/integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Get()
  @ApiOkResponse({
    type: IntegrationListResponse,
    description: 'Every service: its settings, whether a credential is set and when it expires. Never a secret.',
  })
  @ApiErrors()
  list(): IntegrationListResponse {
    return this.integrations.list();
  }

  @Put(':service/config')
  @SERVICE_PARAM
  @ApiOkResponse({ type: IntegrationResponse })
  @ApiErrors(ErrorCode.UNKNOWN_INTEGRATION, ErrorCode.INVALID_INTEGRATION_URL, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async saveConfig(
    @Param('service') service: string,
    @Body() body: SaveIntegrationConfigBody,
    @Actor() actor: string,
  ): Promise<IntegrationResponse> {
    return this.integrations.saveConfig(service, body, actor);
  }

  @Put(':service/credential')
  @SERVICE_PARAM
  @ApiOkResponse({ type: IntegrationResponse, description: 'Stored encrypted; the answer says that a secret is set, never what it is.' })
  @ApiErrors(ErrorCode.UNKNOWN_INTEGRATION, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async saveCredential(
    @Param('service') service: string,
    @Body() body: SaveCredentialBody,
    @Actor() actor: string,
  ): Promise<IntegrationResponse> {
    return this.integrations.saveCredential(service, body, actor);
  }

  @Delete(':service/credential')
  @HttpCode(204)
  @SERVICE_PARAM
  @ApiNoContentResponse({ description: 'The secret is gone; publishing to the service fails until a new one is stored.' })
  @ApiErrors(ErrorCode.UNKNOWN_INTEGRATION, ErrorCode.CREDENTIAL_NOT_SET)
  deleteCredential(@Param('service') service: string, @Actor() actor: string): Promise<void> {
    return this.integrations.deleteCredential(service, actor);
  }

  @Post(':service/test')
  @HttpCode(200)
  @SERVICE_PARAM
  @ApiOkResponse({ type: ConnectionTestResponse, description: 'ok: false says what failed (DNS, TLS, 401, 403, 404, …) in words.' })
  @ApiErrors(ErrorCode.UNKNOWN_INTEGRATION)
  test(@Param('service') service: string): Promise<ConnectionTestResponse> {
    return this.integrations.test(service);
  }
}

import { Body, Controller, Delete, Get, Param } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { ApiKeyIdParams, ApiKeyListResponse, ApiKeyResponse, CreateApiKeyBody, CreatedApiKeyResponse } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

/** Key management for admins; the CLI's `tftsr keys` does the same on the host. */
@ApiTags('api-keys')
@Controller('v1/api-keys')
@RequireScopes('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponse, description: 'Every key, active and revoked; never a secret.' })
  list(): ApiKeyListResponse {
    return { items: this.keys.list() };
  }

  @Post()
  // The path DELETE takes to revoke it.
  @Location((key: CreatedApiKeyResponse) => `/v1/api-keys/${key.id}`)
  @ApiCreatedResponse({ type: CreatedApiKeyResponse, description: 'The new key, with its secret shown this once.' })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON, ErrorCode.API_KEY_NAME_TAKEN)
  async create(@Body() body: CreateApiKeyBody, @Actor() actor: string): Promise<CreatedApiKeyResponse> {
    return this.keys.create(body, actor);
  }

  @Delete(':id')
  @ApiOkResponse({ type: ApiKeyResponse, description: 'Revoked: the key stops working at once.' })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.API_KEY_NOT_FOUND, ErrorCode.LAST_ADMIN_KEY)
  async revoke(@Param() params: ApiKeyIdParams, @Actor() actor: string): Promise<ApiKeyResponse> {
    return this.keys.revoke(params.id, actor);
  }
}

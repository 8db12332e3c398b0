import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { PutSettingBody, SettingKeyParams, SettingListResponse, SettingResponse } from './settings.dto';
import { SettingsService } from './settings.service';

@ApiTags('settings')
@Controller('v1/settings')
export class SettingsController {
  constructor(private readonly settings: SettingsService) {}

  @Get()
  @RequireScopes('read')
  @ApiOkResponse({ type: SettingListResponse, description: 'Every known key, with its value or default.' })
  list(): SettingListResponse {
    return { items: this.settings.list() };
  }

  @Get(':key')
  @RequireScopes('read')
  @ApiOkResponse({ type: SettingResponse })
  @ApiErrors(ErrorCode.SETTING_NOT_FOUND)
  get(@Param() params: SettingKeyParams): SettingResponse {
    return this.settings.get(params.key);
  }

  @Put(':key')
  @RequireScopes('admin')
  @ApiOkResponse({ type: SettingResponse })
  @ApiErrors(ErrorCode.SETTING_NOT_FOUND, ErrorCode.INVALID_SETTING_VALUE, ErrorCode.VALIDATION_FAILED)
  async put(@Param() params: SettingKeyParams, @Body() body: PutSettingBody, @Actor() actor: string): Promise<SettingResponse> {
    return this.settings.put(params.key, body.value, actor);
  }
}

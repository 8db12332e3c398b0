import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { toWhoAmIResponse, WhoAmIResponse } from './auth.dto';
import { AuthenticatedRequest, Principal, RequireScopes } from './scopes.decorator';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  @Get('whoami')
  @RequireScopes('read')
  @ApiOkResponse({ type: WhoAmIResponse, description: 'The calling key’s name and scopes.' })
  whoami(@Req() request: AuthenticatedRequest): WhoAmIResponse {
    return toWhoAmIResponse(request.principal as Principal);
  }
}

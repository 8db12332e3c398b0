import { Controller, Get, HttpCode, Param } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { RequireScopes } from '../auth/scopes.decorator';
import { PingAcceptedResponse, PingParams, PingStatusResponse } from './ping.dto';
import { PingService } from './ping.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

@ApiTags('system')
@RequireScopes('admin')
@Controller('v1/system/ping')
export class PingController {
  constructor(private readonly pings: PingService) {}

  @Post()
  @HttpCode(202)
  @Location((ping: PingAcceptedResponse) => `/v1/system/ping/${ping.ping_id}`)
  @ApiAcceptedResponse({ type: PingAcceptedResponse })
  @ApiErrors(ErrorCode.QUEUE_UNAVAILABLE)
  enqueue(): Promise<PingAcceptedResponse> {
    return this.pings.enqueue();
  }

  @Get(':ping_id')
  @ApiOkResponse({ type: PingStatusResponse })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.JOB_NOT_FOUND, ErrorCode.QUEUE_UNAVAILABLE)
  status(@Param() params: PingParams): Promise<PingStatusResponse> {
    return this.pings.status(params.ping_id);
  }
}

import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { PingAcceptedResponse, PingParams, PingStatusResponse } from './ping.dto';
import { PingService } from './ping.service';

@ApiTags('system')
@Controller('v1/system/ping')
export class PingController {
  constructor(private readonly pings: PingService) {}

  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: PingAcceptedResponse })
  @ApiServiceUnavailableResponse({ description: 'QUEUE_UNAVAILABLE: Redis is down.' })
  enqueue(): Promise<PingAcceptedResponse> {
    return this.pings.enqueue();
  }

  @Get(':ping_id')
  @ApiOkResponse({ type: PingStatusResponse })
  @ApiNotFoundResponse({ description: 'JOB_NOT_FOUND' })
  status(@Param() params: PingParams): Promise<PingStatusResponse> {
    return this.pings.status(params.ping_id);
  }
}

import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LiveResponse, ReadinessResponse } from './health.dto';
import { HealthService, Readiness } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HttpCode(200)
  @ApiOkResponse({ description: 'The process is up.', type: LiveResponse })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOkResponse({
    description: 'Every check is ok: database, write lock, migrations, Redis and its policy, disk space, outbox.',
    type: ReadinessResponse,
  })
  @ApiServiceUnavailableResponse({ description: 'Not ready; each failing check names its reason.', type: ReadinessResponse })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<Readiness> {
    const readiness = await this.health.readiness();
    reply.status(readiness.ready ? 200 : 503);
    return readiness;
  }
}

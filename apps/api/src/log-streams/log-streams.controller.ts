import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IssueIdParams } from '../log-files/log-files.dto';
import { LogStreamListResponse } from './log-streams.dto';
import { LogChunksService } from './log-chunks.service';

@ApiTags('log-streams')
@Controller('v1')
export class LogStreamsController {
  constructor(private readonly chunks: LogChunksService) {}

  @Get('issues/:id/log-streams')
  @RequireScopes('read')
  @ApiOkResponse({ type: LogStreamListResponse, description: "The issue's shipped streams (Loki, _bulk, NDJSON) and their chunks." })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.ISSUE_NOT_FOUND)
  list(@Param() params: IssueIdParams): LogStreamListResponse {
    return { data: this.chunks.listForIssue(params.id) };
  }
}

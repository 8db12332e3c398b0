import { Controller, Get, HttpCode, Param, Query, Req, Sse } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors, UPLOAD_ERRORS } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import {
  IssueIdParams,
  ListLogFilesQuery,
  LogFileIdParams,
  LogFileDetailResponse,
  LogFileListResponse,
  toLogFileDetailResponse,
  UploadQuery,
} from './log-files.dto';
import type { LogFileWithProcessing } from './log-files.service';
import { LogFilesService } from './log-files.service';
import { ProgressEvents } from './progress-events.service';
import { readUpload } from './read-upload';
import { Location } from '../common/location';
import { RedactionsService } from './redactions.service';
import { RAW_TYPES } from './upload-parsers';
import { RouteMediaTypes } from '../common/route-body-limit';
import { Post } from '../idempotency/post.decorator';

@ApiTags('log-files')
@Controller('v1')
export class LogFilesController {
  constructor(
    private readonly logFiles: LogFilesService,
    private readonly progress: ProgressEvents,
    private readonly redactions: RedactionsService,
  ) {}

  @Post('issues/:id/log-files')
  @Location((file: LogFileDetailResponse) => `/v1/log-files/${file.id}`)
  @HttpCode(202)
  @RequireScopes('write')
  @RouteMediaTypes('multipart/form-data', ...RAW_TYPES)
  @ApiConsumes('multipart/form-data', ...RAW_TYPES)
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] } })
  @ApiAcceptedResponse({ type: LogFileDetailResponse, description: 'Stored durably; hashing and PII detection are queued.' })
  @ApiErrors(...UPLOAD_ERRORS)
  async upload(
    @Param() params: IssueIdParams,
    @Query() query: UploadQuery,
    @Req() request: FastifyRequest,
    @Actor() actor: string,
  ): Promise<LogFileDetailResponse> {
    const length = Number(request.headers['content-length']);
    const { file, processing } = await this.logFiles.upload(
      params.id,
      await readUpload(request, query.file_name),
      actor,
      Number.isFinite(length) ? length : undefined,
    );
    // The shape GET answers with.
    return this.detail(file, processing);
  }

  @Get('issues/:id/log-files')
  @RequireScopes('read')
  @ApiOkResponse({
    type: LogFileListResponse,
    description: 'The issue’s log files in upload order, each with its status, progress and PII counts by type.',
  })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.ISSUE_NOT_FOUND, ErrorCode.INVALID_CURSOR)
  list(@Param() params: IssueIdParams, @Query() query: ListLogFilesQuery): LogFileListResponse {
    return this.logFiles.listForIssue(params.id, query);
  }

  @Get('log-files/:id')
  @RequireScopes('read')
  @ApiOkResponse({ type: LogFileDetailResponse })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.LOG_FILE_NOT_FOUND)
  get(@Param() params: LogFileIdParams): LogFileDetailResponse {
    const { file, processing } = this.logFiles.getWithProcessing(params.id);
    return this.detail(file, processing);
  }

  @Sse('log-files/:id/events')
  @RequireScopes('read')
  @ApiOkResponse({
    description:
      'Server-Sent Events: a `progress` event carrying a LogFileDetailResponse on every change, until the file is ready or failed.',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.LOG_FILE_NOT_FOUND)
  events(@Param() params: LogFileIdParams): Observable<{ type: string; data: LogFileDetailResponse }> {
    return this.progress.stream(params.id);
  }

  /** A file as GET answers with it: its status and progress, and where its redaction stands. */
  private detail(file: LogFileWithProcessing['file'], processing: LogFileWithProcessing['processing']): LogFileDetailResponse {
    return { ...toLogFileDetailResponse(file, processing), redaction: this.redactions.summary(file.id) };
  }
}

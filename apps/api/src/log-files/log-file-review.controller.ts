import { Body, Controller, Get, HttpCode, Param, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, Principal, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { Caller } from './caller.decorator';
import { sendDownload } from './download';
import { LogFileContentService } from './log-file-content.service';
import {
  ContentQuery,
  CreateRedactionBody,
  PiiSpanListQuery,
  PiiSpanListResponse,
  RedactionRequestParams,
  RedactionRequestResponse,
} from './log-file-review.dto';
import { LogFileIdParams } from './log-files.dto';
import { PiiSpansService } from './pii-spans.service';
import { RedactionsService } from './redactions.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

/** Reviewing a file's spans, approving their redaction, and downloading either copy. */
@ApiTags('log-files')
@Controller('v1/log-files/:id')
export class LogFileReviewController {
  constructor(
    private readonly spans: PiiSpansService,
    private readonly redactions: RedactionsService,
    private readonly content: LogFileContentService,
  ) {}

  @Get('pii-spans')
  @RequireScopes('read')
  @ApiOkResponse({ type: PiiSpanListResponse, description: 'Masked values; with reveal=true (pii:reveal), the originals, audited.' })
  // A reveal is audited: it writes.
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_CURSOR, ErrorCode.LOG_FILE_NOT_FOUND, ErrorCode.DATABASE_BUSY)
  async listSpans(
    @Param() params: LogFileIdParams,
    @Query() query: PiiSpanListQuery,
    @Caller() caller: Principal,
  ): Promise<PiiSpanListResponse> {
    return this.spans.list(params.id, query, caller);
  }

  @Post('redactions')
  @Location((request: RedactionRequestResponse) => `/v1/log-files/${request.log_file_id}/redactions/${request.id}`)
  @HttpCode(202)
  @RequireScopes('write')
  @ApiAcceptedResponse({
    type: RedactionRequestResponse,
    description:
      'Recorded; the redact job writes a new redacted version: every span redacted but the kept ones. While one is pending, a new request returns it.',
  })
  @ApiErrors(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.INVALID_JSON,
    ErrorCode.EMPTY_APPROVAL,
    ErrorCode.UNKNOWN_SPANS,
    ErrorCode.LOG_FILE_NOT_FOUND,
    ErrorCode.LOG_FILE_NOT_READY,
    ErrorCode.LOG_FILE_FINALIZED,
  )
  async requestRedaction(
    @Param() params: LogFileIdParams,
    @Body() body: CreateRedactionBody,
    @Actor() actor: string,
  ): Promise<RedactionRequestResponse> {
    return this.redactions.request(params.id, body, actor);
  }

  @Get('redactions/:request_id')
  @RequireScopes('read')
  @ApiOkResponse({ type: RedactionRequestResponse })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.LOG_FILE_NOT_FOUND, ErrorCode.REDACTION_REQUEST_NOT_FOUND)
  getRedaction(@Param() params: RedactionRequestParams): RedactionRequestResponse {
    return this.redactions.get(params.id, params.request_id);
  }

  @Get('content')
  @RequireScopes('read')
  @ApiOkResponse({
    description: 'The file as an attachment, in its own media type. The original needs pii:reveal and is audited.',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      'Content-Disposition': { description: 'attachment, with filename and RFC 5987 filename*.', schema: { type: 'string' } },
      'X-Content-Type-Options': { description: 'Always nosniff.', schema: { type: 'string' } },
    },
  })
  @ApiErrors(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.LOG_FILE_NOT_FOUND,
    ErrorCode.NOT_REDACTED,
    ErrorCode.STORED_FILE_MISSING,
    ErrorCode.STORED_FILE_CORRUPT,
    // The original's download is audited: it writes.
    ErrorCode.DATABASE_BUSY,
  )
  async download(
    @Param() params: LogFileIdParams,
    @Query() query: ContentQuery,
    @Caller() caller: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    sendDownload(reply, await this.content.open(params.id, query.variant ?? 'redacted', caller));
  }
}

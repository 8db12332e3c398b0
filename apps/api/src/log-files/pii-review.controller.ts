import { Body, Controller, Get, HttpCode, Param, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, Principal, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { Caller } from './caller.decorator';
import { LogFileIdParams } from './log-files.dto';
import { PiiDecisionsService } from './pii-decisions.service';
import {
  DecisionsBody,
  DecisionsResponse,
  FinalizeResponse,
  LinesQuery,
  LinesResponse,
  ManualSpanBody,
  ManualSpansResponse,
  PiiTotalsResponse,
  PiiValuesQuery,
  PiiValuesResponse,
} from './pii-review.dto';
import { PiiReviewService } from './pii-review.service';
import { RedactionsService } from './redactions.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

const READ_ERRORS = [
  ErrorCode.VALIDATION_FAILED,
  ErrorCode.LOG_FILE_NOT_FOUND,
  ErrorCode.LOG_FILE_NOT_READY,
  ErrorCode.STORED_FILE_MISSING,
  ErrorCode.STORED_FILE_CORRUPT,
  // The first read of a file builds its review index, and a reveal is audited: both write.
  ErrorCode.DATABASE_BUSY,
];

/** Reviewing by value and by line, deciding, adding what detection missed, and finalizing (issue 12). */
@ApiTags('log-files')
@Controller('v1/log-files/:id')
export class PiiReviewController {
  constructor(
    private readonly review: PiiReviewService,
    private readonly decisions: PiiDecisionsService,
    private readonly redactions: RedactionsService,
  ) {}

  @Get('pii/values')
  @RequireScopes('read')
  @ApiOkResponse({
    type: PiiValuesResponse,
    description: 'The distinct values of the file, masked; with reveal=true (pii:reveal), in clear too, audited.',
  })
  @ApiErrors(...READ_ERRORS, ErrorCode.INVALID_CURSOR)
  values(@Param() params: LogFileIdParams, @Query() query: PiiValuesQuery, @Caller() caller: Principal): Promise<PiiValuesResponse> {
    return this.review.values(params.id, query, caller);
  }

  @Get('pii/totals')
  @RequireScopes('read')
  @ApiOkResponse({ type: PiiTotalsResponse })
  @ApiErrors(...READ_ERRORS)
  totals(@Param() params: LogFileIdParams): Promise<PiiTotalsResponse> {
    return this.review.totals(params.id);
  }

  @Get('lines')
  @RequireScopes('read')
  @ApiOkResponse({
    type: LinesResponse,
    description: 'A window of lines with every span overlaid and masked; with reveal=true (pii:reveal), in clear, audited.',
  })
  @ApiErrors(...READ_ERRORS)
  lines(@Param() params: LogFileIdParams, @Query() query: LinesQuery, @Caller() caller: Principal): Promise<LinesResponse> {
    return this.review.lines(params.id, query, caller);
  }

  @Post('decisions')
  @HttpCode(200)
  @RequireScopes('write')
  @ApiOkResponse({
    type: DecisionsResponse,
    description: 'Recorded; the next redaction applies them. keep needs pii:reveal and is audited with the SHA-256 of the value.',
  })
  @ApiErrors(...READ_ERRORS, ErrorCode.INVALID_JSON, ErrorCode.UNKNOWN_PII_VALUES, ErrorCode.UNKNOWN_SPANS, ErrorCode.LOG_FILE_FINALIZED)
  decide(@Param() params: LogFileIdParams, @Body() body: DecisionsBody, @Caller() caller: Principal): Promise<DecisionsResponse> {
    return this.decisions.decide(params.id, body, caller);
  }

  @Post('manual-spans')
  // Manual spans are reviewed with the file's other spans.
  @Location((_spans: ManualSpansResponse, params) => `/v1/log-files/${params.id}/pii/values`)
  @HttpCode(201)
  @RequireScopes('write')
  @ApiCreatedResponse({ type: ManualSpansResponse, description: 'Stored as spans with source manual; redacted by the next redaction.' })
  @ApiErrors(...READ_ERRORS, ErrorCode.INVALID_JSON, ErrorCode.INVALID_SPAN_RANGE, ErrorCode.LOG_FILE_FINALIZED)
  addManual(@Param() params: LogFileIdParams, @Body() body: ManualSpanBody, @Actor() actor: string): Promise<ManualSpansResponse> {
    return this.decisions.addManual(params.id, body, actor);
  }

  @Post('finalize')
  @Location((done: FinalizeResponse, params) =>
    done.request_id ? `/v1/log-files/${params.id}/redactions/${done.request_id}` : `/v1/log-files/${params.id}`,
  )
  @HttpCode(202)
  @RequireScopes('write')
  @ApiAcceptedResponse({
    type: FinalizeResponse,
    description:
      'Queued: the worker writes the final version from the decisions in force, then wipes the originals. Repeating it is harmless.',
  })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.LOG_FILE_NOT_FOUND, ErrorCode.LOG_FILE_NOT_READY)
  async finalize(@Param() params: LogFileIdParams, @Actor() actor: string): Promise<FinalizeResponse> {
    return this.redactions.finalize(params.id, actor);
  }
}

import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IdParams } from '../common/validation';
import { CreateIssueBody, IssueDetailResponse, IssueListResponse, ListIssuesQuery, UpdateIssueBody } from './issues.dto';
import { IssuesService } from './issues.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

@ApiTags('issues')
@Controller('v1/issues')
export class IssuesController {
  constructor(private readonly issues: IssuesService) {}

  @Post()
  @Location((issue: IssueDetailResponse) => `/v1/issues/${issue.id}`)
  @RequireScopes('write')
  @ApiCreatedResponse({ type: IssueDetailResponse, description: 'The issue, in the shape GET answers with: its lists are empty.' })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async create(@Body() body: CreateIssueBody, @Actor() actor: string): Promise<IssueDetailResponse> {
    return this.issues.create(body, actor);
  }

  @Get()
  @RequireScopes('read')
  @ApiOkResponse({ type: IssueListResponse })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_SEARCH_QUERY, ErrorCode.INVALID_CURSOR)
  list(@Query() query: ListIssuesQuery): IssueListResponse {
    return this.issues.list(query);
  }

  @Get(':id')
  @RequireScopes('read')
  @ApiOkResponse({ type: IssueDetailResponse })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND)
  get(@Param() params: IdParams): IssueDetailResponse {
    return this.issues.get(params.id);
  }

  @Patch(':id')
  @RequireScopes('write')
  @ApiOkResponse({ type: IssueDetailResponse })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async update(@Param() params: IdParams, @Body() body: UpdateIssueBody, @Actor() actor: string): Promise<IssueDetailResponse> {
    return this.issues.update(params.id, body, actor);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('write')
  @ApiNoContentResponse({ description: 'Deleted with its log files, images, 5-Whys, conversations and documents, and their files.' })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND)
  delete(@Param() params: IdParams, @Actor() actor: string): Promise<void> {
    return this.issues.delete(params.id, actor);
  }
}

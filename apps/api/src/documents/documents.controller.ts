import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IdParams } from '../common/validation';
import { sendDownload } from '../log-files/download';
import {
  DocumentListResponse,
  DocumentResponse,
  ExportQuery,
  GenerateDocumentBody,
  PublicationListResponse,
  PublishAcceptedResponse,
  PublishDocumentBody,
  UpdateDocumentBody,
} from './documents.dto';
import { DocumentsService } from './documents.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

@ApiTags('documents')
@Controller('v1')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Post('issues/:id/documents')
  @Location((document: DocumentResponse) => `/v1/documents/${document.id}`)
  @RequireScopes('write')
  @ApiCreatedResponse({
    type: DocumentResponse,
    description: 'Generated from the issue, its 5-Whys, its log files and its audit timeline, and stored.',
  })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async generate(@Param() params: IdParams, @Body() body: GenerateDocumentBody, @Actor() actor: string): Promise<DocumentResponse> {
    return this.documents.generate(params.id, body.doc_type, actor);
  }

  @Get('issues/:id/documents')
  @RequireScopes('read')
  @ApiOkResponse({ type: DocumentListResponse })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND)
  list(@Param() params: IdParams): DocumentListResponse {
    return this.documents.listForIssue(params.id);
  }

  @Get('issues/:id/publications')
  @RequireScopes('read')
  @ApiOkResponse({
    type: PublicationListResponse,
    description: 'Every publication of the issue: its documents’, and the incident a critical issue opened (document_id null).',
  })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND)
  issuePublications(@Param() params: IdParams): PublicationListResponse {
    return this.documents.listIssuePublications(params.id);
  }

  @Get('documents/:id')
  @RequireScopes('read')
  @ApiOkResponse({ type: DocumentResponse })
  @ApiErrors(ErrorCode.DOCUMENT_NOT_FOUND)
  get(@Param() params: IdParams): DocumentResponse {
    return this.documents.get(params.id);
  }

  @Patch('documents/:id')
  @RequireScopes('write')
  @ApiOkResponse({ type: DocumentResponse })
  @ApiErrors(ErrorCode.DOCUMENT_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async update(@Param() params: IdParams, @Body() body: UpdateDocumentBody, @Actor() actor: string): Promise<DocumentResponse> {
    return this.documents.update(params.id, body, actor);
  }

  @Delete('documents/:id')
  @HttpCode(204)
  @RequireScopes('write')
  @ApiNoContentResponse({ description: 'Deleted, with its publication records; remote pages and tickets stay where they are.' })
  @ApiErrors(ErrorCode.DOCUMENT_NOT_FOUND)
  delete(@Param() params: IdParams, @Actor() actor: string): Promise<void> {
    return this.documents.delete(params.id, actor);
  }

  @Get('documents/:id/export')
  @RequireScopes('read')
  @ApiOkResponse({
    description: 'The Markdown, or sanitised HTML rendered from it, as an attachment.',
    content: { 'text/markdown': { schema: { type: 'string' } }, 'text/html': { schema: { type: 'string' } } },
    headers: {
      'Content-Disposition': { description: 'attachment, with filename and RFC 5987 filename*.', schema: { type: 'string' } },
      'X-Content-Type-Options': { description: 'Always nosniff.', schema: { type: 'string' } },
    },
  })
  @ApiErrors(ErrorCode.DOCUMENT_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.PII_GATE_BLOCKED)
  async export(@Param() params: IdParams, @Query() query: ExportQuery, @Actor() actor: string, @Res() reply: FastifyReply): Promise<void> {
    sendDownload(reply, await this.documents.export(params.id, query.format ?? 'md', actor));
  }

  @Post('documents/:id/publish')
  @Location((_accepted: PublishAcceptedResponse, params) => `/v1/documents/${params.id}/publications`)
  @HttpCode(202)
  @RequireScopes('write')
  @ApiAcceptedResponse({
    type: PublishAcceptedResponse,
    description: 'Queued (durably: the job runs even if Redis or the worker restarts). Publishing again updates the same remote object.',
  })
  @ApiErrors(
    ErrorCode.DOCUMENT_NOT_FOUND,
    ErrorCode.INTEGRATION_NOT_CONFIGURED,
    ErrorCode.CREDENTIAL_NOT_SET,
    ErrorCode.CREDENTIAL_EXPIRED,
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.INVALID_JSON,
  )
  async publish(@Param() params: IdParams, @Body() body: PublishDocumentBody, @Actor() actor: string): Promise<PublishAcceptedResponse> {
    return this.documents.publish(params.id, body, actor);
  }

  @Get('documents/:id/publications')
  @RequireScopes('read')
  @ApiOkResponse({
    type: PublicationListResponse,
    description: 'Each target: its state, remote id and URL, and why the last attempt failed.',
  })
  @ApiErrors(ErrorCode.DOCUMENT_NOT_FOUND)
  publications(@Param() params: IdParams): PublicationListResponse {
    return this.documents.listPublications(params.id);
  }
}

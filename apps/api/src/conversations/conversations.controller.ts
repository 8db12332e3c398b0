import { Body, Controller, Get, HttpCode, Param } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IdParams } from '../common/validation';
import {
  CompletionBody,
  CompletionResponse,
  ConversationDetailResponse,
  CreateConversationBody,
  CreateMessageBody,
  MessageResponse,
} from './conversations.dto';
import { ConversationsService } from './conversations.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

@ApiTags('conversations')
@Controller('v1')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post('issues/:id/conversations')
  @Location((conversation: ConversationDetailResponse) => `/v1/conversations/${conversation.id}`)
  @RequireScopes('write')
  @ApiCreatedResponse({
    type: ConversationDetailResponse,
    description: 'The conversation, in the shape GET answers with: no messages yet.',
  })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async create(
    @Param() params: IdParams,
    @Body() body: CreateConversationBody,
    @Actor() actor: string,
  ): Promise<ConversationDetailResponse> {
    return this.conversations.create(params.id, body, actor);
  }

  @Get('conversations/:id')
  @RequireScopes('read')
  @ApiOkResponse({ type: ConversationDetailResponse })
  @ApiErrors(ErrorCode.CONVERSATION_NOT_FOUND)
  get(@Param() params: IdParams): ConversationDetailResponse {
    return this.conversations.get(params.id);
  }

  @Post('conversations/:id/messages')
  // A message has no URL of its own: it is listed in its conversation.
  @Location((message: MessageResponse) => `/v1/conversations/${message.conversation_id}`)
  @RequireScopes('write')
  @ApiCreatedResponse({ type: MessageResponse, description: 'The message as stored: PII replaced by [Type] markers.' })
  @ApiErrors(ErrorCode.CONVERSATION_NOT_FOUND, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async addMessage(@Param() params: IdParams, @Body() body: CreateMessageBody, @Actor() actor: string): Promise<MessageResponse> {
    return this.conversations.addMessage(params.id, body, actor);
  }

  @Post('conversations/:id/completions')
  @Location((completion: CompletionResponse) => `/v1/conversations/${completion.message.conversation_id}`)
  @HttpCode(201)
  @RequireScopes('write')
  @ApiCreatedResponse({ type: CompletionResponse, description: 'The provider’s reply, stored as an assistant message.' })
  @ApiErrors(
    ErrorCode.CONVERSATION_NOT_FOUND,
    ErrorCode.CONVERSATION_EMPTY,
    ErrorCode.AI_PROVIDER_ERROR,
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.INVALID_JSON,
  )
  complete(@Param() params: IdParams, @Body() body: CompletionBody, @Actor() actor: string): Promise<CompletionResponse> {
    return this.conversations.complete(params.id, body, actor);
  }
}

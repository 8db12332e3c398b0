import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  AiConversation,
  AiConversationRepository,
  AiMessage,
  AiMessageRepository,
  AuditLogRepository,
  GroupCommit,
  IssueRepository,
  newId,
  toDbTimestamp,
  TransactionRunner,
} from '@tftsr/db';
import { PII_TYPE_ORDER, PiiType } from '@tftsr/pii';
import { DomainError, ErrorCode } from '../common/domain-error';
import { SettingsService } from '../settings/settings.service';
import { TextRedactor } from '../settings/text-redactor.service';
import { AiProviderClient } from './ai-provider.client';
import {
  CompletionBody,
  CompletionResponse,
  ConversationDetailResponse,
  CreateConversationBody,
  CreateMessageBody,
  MessageResponse,
  toConversationResponse,
  toMessageResponse,
} from './conversations.dto';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * AI conversations. Every message is stored redacted, whoever wrote it (the desktop app stored assistant
 * replies as-is), and the history is scanned again as it is sent, so no text leaves unredacted.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly group: GroupCommit,
    private readonly tx: TransactionRunner,
    private readonly conversations: AiConversationRepository,
    private readonly messages: AiMessageRepository,
    private readonly issues: IssueRepository,
    private readonly audit: AuditLogRepository,
    private readonly settings: SettingsService,
    private readonly redactor: TextRedactor,
    private readonly provider: AiProviderClient,
  ) {}

  async create(issueId: string, body: CreateConversationBody, actor: string): Promise<ConversationDetailResponse> {
    const title = body.title == null ? { text: null, types: [] as PiiType[] } : this.redactor.redact(body.title);
    return this.group.run(() => {
      if (!this.issues.findById(issueId)) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
      const conversation: AiConversation = {
        id: newId(),
        issue_id: issueId,
        provider: body.provider ?? this.settings.value('ai.provider'),
        model: body.model ?? this.settings.value('ai.model'),
        created_at: toDbTimestamp(),
        title: title.text,
      };
      this.conversations.insert(conversation);
      this.audit.append({
        action: 'create_conversation',
        entity_type: 'ai_conversation',
        entity_id: conversation.id,
        user_id: actor,
        details: { issue_id: issueId, provider: conversation.provider, model: conversation.model, pii_types_redacted: title.types },
      });
      return { ...toConversationResponse(conversation), messages: [] };
    });
  }

  get(id: string): ConversationDetailResponse {
    return this.tx.read(() => ({
      ...toConversationResponse(this.getOrThrow(id)),
      messages: this.messages.listForConversation(id).map(toMessageResponse),
    }));
  }

  async addMessage(conversationId: string, body: CreateMessageBody, actor: string): Promise<MessageResponse> {
    const redaction = this.redactor.redact(body.content);
    return this.group.run(() => {
      const conversation = this.getOrThrow(conversationId);
      const message = this.store(conversationId, body.role, redaction.text, body.token_count ?? 0);
      this.audit.append({
        action: 'add_message',
        entity_type: 'ai_message',
        entity_id: message.id,
        user_id: actor,
        details: {
          conversation_id: conversationId,
          issue_id: conversation.issue_id,
          role: body.role,
          content_sha256: sha256(message.content),
          pii_types_redacted: redaction.types,
        },
      });
      return toMessageResponse(message);
    });
  }

  /**
   * Sends the (redacted) history to the provider in settings and stores its reply. The ai_send entry records
   * the SHA-256 of exactly the bytes sent and the PII types redacted from them, also when the call fails.
   */
  async complete(conversationId: string, body: CompletionBody, actor: string): Promise<CompletionResponse> {
    const conversation = this.getOrThrow(conversationId);
    const history = this.messages.listForConversation(conversationId);
    if (history.length === 0) throw new DomainError(ErrorCode.CONVERSATION_EMPTY, 'the conversation has no message to send yet');
    const config = this.redactor.config();
    const found = new Set<PiiType>();
    const outgoing = history.map((m) => {
      const redaction = this.redactor.redact(m.content, config);
      redaction.types.forEach((t) => found.add(t));
      this.redactor.markersIn(redaction.text).forEach((t) => found.add(t));
      return { role: m.role, content: redaction.text };
    });
    const payload = JSON.stringify({
      model: conversation.model,
      messages: outgoing,
      stream: false,
      ...(body.max_tokens !== undefined ? { max_tokens: body.max_tokens } : {}),
      ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    });
    const providerUrl = this.settings.value('ai.provider_url');
    const sent = {
      issue_id: conversation.issue_id,
      provider: conversation.provider,
      model: conversation.model,
      provider_host: new URL(providerUrl).host,
      message_count: outgoing.length,
      request_sha256: sha256(payload),
      pii_types_redacted: PII_TYPE_ORDER.filter((t) => found.has(t)),
    };
    const audit = (details: Record<string, unknown>) =>
      this.audit.append({
        action: 'ai_send',
        entity_type: 'ai_conversation',
        entity_id: conversationId,
        user_id: actor,
        details: { ...sent, ...details },
      });

    let reply;
    try {
      reply = await this.provider.complete(providerUrl, payload);
    } catch (err) {
      // The history left the service even if no answer came back: that is what the audit must show.
      await this.group.run(() =>
        audit({ outcome: 'failed', error_code: err instanceof DomainError ? err.code : ErrorCode.INTERNAL_ERROR }),
      );
      throw err;
    }
    const answer = this.redactor.redact(reply.content, config);
    return this.group.run(() => {
      if (!this.conversations.findById(conversationId))
        throw new DomainError(ErrorCode.CONVERSATION_NOT_FOUND, `conversation ${conversationId} was deleted during the call`);
      const message = this.store(conversationId, 'assistant', answer.text, reply.completion_tokens);
      audit({
        outcome: 'ok',
        reply_message_id: message.id,
        prompt_tokens: reply.prompt_tokens,
        completion_tokens: reply.completion_tokens,
        reply_pii_types_redacted: answer.types,
      });
      return {
        message: toMessageResponse(message),
        usage: { prompt_tokens: reply.prompt_tokens, completion_tokens: reply.completion_tokens, total_tokens: reply.total_tokens },
      };
    });
  }

  private store(conversationId: string, role: AiMessage['role'], content: string, tokenCount: number): AiMessage {
    const message: AiMessage = {
      id: newId(),
      conversation_id: conversationId,
      role,
      content,
      token_count: tokenCount,
      created_at: toDbTimestamp(),
    };
    this.messages.insert(message);
    return message;
  }

  private getOrThrow(id: string): AiConversation {
    const conversation = this.conversations.findById(id);
    if (!conversation) throw new DomainError(ErrorCode.CONVERSATION_NOT_FOUND, `no conversation ${id}`);
    return conversation;
  }
}

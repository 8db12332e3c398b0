import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { AiConversation, AiMessage } from '@tftsr/db';
import { ApiTime, toApiTime } from '../common/api-time';

const ROLES = ['system', 'user', 'assistant'] as const;
export type MessageRole = (typeof ROLES)[number];
export const MAX_MESSAGE_CHARS = 100_000;

export class CreateConversationBody {
  @ApiPropertyOptional({ description: 'Defaults to the ai.provider setting.', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/)
  provider?: string;

  @ApiPropertyOptional({ description: 'Defaults to the ai.model setting.', minLength: 1, maxLength: 200 })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  model?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, description: 'Stored redacted when it contains PII.' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  title?: string | null;
}

export class CreateMessageBody {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: MessageRole;

  @ApiProperty({ minLength: 1, maxLength: MAX_MESSAGE_CHARS, description: 'Stored redacted: PII is replaced by [Type] markers.' })
  @IsString()
  @Length(1, MAX_MESSAGE_CHARS)
  content: string;

  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  token_count?: number;
}

export class CompletionBody {
  @ApiPropertyOptional({ minimum: 1, maximum: 100_000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_tokens?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;
}

export class ConversationResponse {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty() provider: string;
  @ApiProperty() model: string;
  @ApiTime() created_at: string;
  @ApiProperty({ type: String, nullable: true }) title: string | null;
}

export class MessageResponse {
  @ApiProperty() id: string;
  @ApiProperty() conversation_id: string;
  @ApiProperty({ enum: ROLES }) role: MessageRole;
  @ApiProperty({ description: 'As stored: redacted.' }) content: string;
  @ApiProperty({ minimum: 0 }) token_count: number;
  @ApiTime() created_at: string;
}

/** The conversation with its messages: what create (no messages yet) and get both answer with. */
export class ConversationDetailResponse extends ConversationResponse {
  @ApiProperty({ type: MessageResponse, isArray: true, description: 'In the order they were written.' }) messages: MessageResponse[];
}

export class CompletionUsage {
  @ApiProperty({ minimum: 0 }) prompt_tokens: number;
  @ApiProperty({ minimum: 0 }) completion_tokens: number;
  @ApiProperty({ minimum: 0 }) total_tokens: number;
}

export class CompletionResponse {
  @ApiProperty({ type: MessageResponse, description: 'The assistant’s reply, as stored.' }) message: MessageResponse;
  @ApiProperty({ type: CompletionUsage }) usage: CompletionUsage;
}

export function toConversationResponse(row: AiConversation): ConversationResponse {
  return {
    id: row.id,
    issue_id: row.issue_id,
    provider: row.provider,
    model: row.model,
    created_at: toApiTime(row.created_at),
    title: row.title,
  };
}

export function toMessageResponse(row: AiMessage): MessageResponse {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    role: row.role,
    content: row.content,
    token_count: row.token_count ?? 0,
    created_at: toApiTime(row.created_at),
  };
}

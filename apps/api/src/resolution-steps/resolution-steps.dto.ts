import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { ResolutionStep } from '@tftsr/db';
import { ApiTime, toApiTime } from '../common/api-time';

export const MAX_STEPS = 5;
const MAX_TEXT = 10_000;

export class CreateResolutionStepBody {
  @ApiProperty({ minimum: 1, maximum: MAX_STEPS, description: 'Unique per issue.' })
  @IsInt()
  @Min(1)
  @Max(MAX_STEPS)
  step_order: number;

  @ApiProperty({ minLength: 1, maxLength: MAX_TEXT, description: 'Stored redacted when it contains PII.' })
  @IsString()
  @Length(1, MAX_TEXT)
  @Matches(/\S/, { message: 'why_question must not be blank' })
  why_question: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_TEXT, description: 'Stored redacted when it contains PII.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  answer?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_TEXT, description: 'Stored redacted when it contains PII.' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  evidence?: string | null;
}

export class UpdateResolutionStepBody {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_STEPS })
  @ValidateIf((_, value) => value !== undefined)
  @IsInt()
  @Min(1)
  @Max(MAX_STEPS)
  step_order?: number;

  @ApiPropertyOptional({ minLength: 1, maxLength: MAX_TEXT })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Length(1, MAX_TEXT)
  @Matches(/\S/, { message: 'why_question must not be blank' })
  why_question?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_TEXT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  answer?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_TEXT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  evidence?: string | null;
}

export class ReorderResolutionStepsBody {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_STEPS, description: 'Every step of the issue, once each, in the new order.' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STEPS)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  step_ids: string[];
}

export class ResolutionStepResponse {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty({ minimum: 1 }) step_order: number;
  @ApiProperty() why_question: string;
  @ApiProperty({ type: String, nullable: true }) answer: string | null;
  @ApiProperty({ type: String, nullable: true }) evidence: string | null;
  @ApiTime() created_at: string;
}

export class ResolutionStepListResponse {
  @ApiProperty({ type: ResolutionStepResponse, isArray: true }) items: ResolutionStepResponse[];
}

export function toResolutionStepResponse(row: ResolutionStep): ResolutionStepResponse {
  return {
    id: row.id,
    issue_id: row.issue_id,
    step_order: row.step_order,
    why_question: row.why_question,
    answer: row.answer,
    evidence: row.evidence,
    created_at: toApiTime(row.created_at),
  };
}

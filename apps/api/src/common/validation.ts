import { applyDecorators, Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsInt, isISO8601, IsOptional, IsString, Length, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { toDbTimestamp } from '@tftsr/db';

/** A path `:id`. Unknown ids are a 404 of the resource, so any short string passes here. */
export class IdParams {
  @ApiProperty({ description: 'UUID v7' })
  @IsString()
  @Length(1, 128)
  id: string;
}

/** Query values that may be repeated (`?tag=a&tag=b`) arrive as a string or an array; always an array here. */
export const ToArray = () => Transform(({ value }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]));

/** Query booleans arrive as text. */
export const ToBoolean = () =>
  Transform(({ value }: { value: unknown }) =>
    value === 'true' || value === '1' || value === true ? true : value === 'false' || value === '0' || value === false ? false : value,
  );

/** ISO 8601 that JavaScript can also read (week dates like `2024-W01` are ISO but not a Date). */
function isReadableTime(value: unknown): boolean {
  if (typeof value !== 'string' || !isISO8601(value, { strict: true })) return false;
  const year = new Date(value).getUTCFullYear();
  // NaN (an unreadable date) fails both comparisons; the seed's format has four-digit years.
  return year >= 0 && year <= 9999;
}

/** An optional ISO 8601 time in a query, compared with the seed's TEXT timestamps once converted. */
export function OptionalTime(description: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ required: false, format: 'date-time', description }),
    IsOptional(),
    ValidateBy({
      name: 'isReadableTime',
      validator: { validate: isReadableTime, defaultMessage: (args) => `${args?.property} must be an ISO 8601 date or date-time` },
    }),
  );
}

/** ISO 8601 → `YYYY-MM-DD HH:MM:SS` UTC, as the seed stores it. */
export function toDbTime(iso: string | undefined): string | undefined {
  return iso === undefined ? undefined : toDbTimestamp(new Date(iso));
}

export interface PageQueryOptions {
  /** The page size: at most `max`, `default` when absent. */
  limit: { max: number; default: number };
  /** What the cursor must be; with `minLength` an empty cursor is refused too. */
  cursor: { description: string; maxLength: number; minLength?: number };
}

export interface PageQueryFields {
  limit?: number;
  cursor?: string;
}

/** The base of every list query: `limit` and the opaque `cursor` of keyset pagination, validated alike everywhere. */
export function PageQuery(options: PageQueryOptions): Class<PageQueryFields> {
  const { limit, cursor } = options;
  class PageQueryBase implements PageQueryFields {
    @ApiPropertyOptional({ minimum: 1, maximum: limit.max, default: limit.default })
    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(limit.max)
    limit?: number;

    @ApiPropertyOptional({ description: cursor.description })
    @IsOptional()
    @IsString()
    @(cursor.minLength === undefined ? MaxLength(cursor.maxLength) : Length(cursor.minLength, cursor.maxLength))
    cursor?: string;
  }
  return PageQueryBase;
}

export interface RevealPageQueryFields extends PageQueryFields {
  reveal?: boolean;
}

/** A list of PII review data: a page, masked unless `reveal=true` (which needs pii:reveal and is audited). */
export function RevealPageQuery(options: PageQueryOptions & { reveal: string }): Class<RevealPageQueryFields> {
  class RevealPageQueryBase extends PageQuery(options) implements RevealPageQueryFields {
    @ApiPropertyOptional({ type: Boolean, default: false, description: options.reveal })
    @IsOptional()
    @ToBoolean()
    @IsBoolean()
    reveal?: boolean;
  }
  return RevealPageQueryBase;
}

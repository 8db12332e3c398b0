import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { isISO8601, IsOptional, IsString, Length, ValidateBy } from 'class-validator';
import { toDbTimestamp } from '../../../../libs/db/src';

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
  Transform(({ value }: { value: unknown }) => (value === 'true' || value === '1' || value === true ? true : value === 'false' || value === '0' || value === false ? false : value));

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

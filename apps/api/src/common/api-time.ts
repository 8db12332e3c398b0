import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';

/**
 * Every time the API answers with is ISO 8601 in UTC with a `Z`: `2026-12-03T20:07:52.000Z`. The database keeps
 * the seed's formats (TEXT `2026-12-03 20:07:52` in UTC, or INTEGER milliseconds for documents and publications);
 * the toXxxResponse functions convert with this, at the boundary.
 */
export function toApiTime(value: string | number): string;
export function toApiTime(value: string | number | null | undefined): string | null;
export function toApiTime(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return new Date(value).toISOString();
  const match = SEED_TIME.exec(value.trim());
  // A value in no format we know is passed on as stored rather than failing the whole response.
  if (!match) return value;
  const [, date, time, zone] = match;
  const parsed = new Date(`${date}T${time}${zone ? zone.replace(/^([+-]\d\d)(\d\d)$/, '$1:$2') : 'Z'}`);
  return Number.isNaN(parsed.getTime()) ? value : parsed.toISOString();
}

/** The seed's TEXT times (SQLite's datetime(), UTC, no zone) and ISO 8601 with or without a zone. */
const SEED_TIME = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?)(Z|[+-]\d\d:?\d\d)?$/i;

/** What a converted time looks like; the e2e harness checks every time in every response against it. */
export const API_TIME_PATTERN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The OpenAPI property of a time in a response. */
export function ApiTime(options: { nullable?: boolean; description?: string } = {}): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      type: String,
      format: 'date-time',
      nullable: options.nullable === true ? true : undefined,
      example: '2026-01-31T12:00:00.000Z',
      description: options.description ? `${options.description} ISO 8601, UTC.` : 'ISO 8601, UTC.',
    }),
  );
}

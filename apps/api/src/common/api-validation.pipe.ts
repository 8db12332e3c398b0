import { ValidationPipe } from '@nestjs/common';
import type { ArgumentMetadata } from '@nestjs/common';
import { IdParams } from './validation';

/** Ids that class-validator's @IsString @Length(1, 128) accepts as they are (it counts some non-ASCII differently). */
const PLAIN_ID = /^[\x20-\x7e]{1,128}$/;

/**
 * The global ValidationPipe (whitelist, forbidNonWhitelisted, transform), with a shortcut for the commonest input:
 * a path's lone `:id` that IdParams accepts as it is. class-validator's metadata walk for it was ~4% of a cheap GET
 * (bench/RESULTS.md, issues-get); anything else (another shape, a refusal) takes the full pipe, so answers and
 * error codes are unchanged.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'param' && metadata.metatype === IdParams && isLoneId(value)) return Object.assign(new IdParams(), value);
    return super.transform(value, metadata);
  }
}

function isLoneId(value: unknown): value is { id: string } {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  const id = (value as { id?: unknown }).id;
  return keys.length === 1 && keys[0] === 'id' && typeof id === 'string' && PLAIN_ID.test(id);
}

import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsString, Length, Matches } from 'class-validator';
import { API_KEY_SCOPES, ApiKeyRow, ApiKeyScope, parseScopes } from '@tftsr/db';
import { ApiTime, toApiTime } from '../common/api-time';

export class CreateApiKeyBody {
  @ApiProperty({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'Unique; audit entries carry it as user_id.' })
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9._-]+$/, { message: 'name may hold letters, digits, dot, underscore and hyphen only' })
  name: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true, minItems: 1 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  scopes: ApiKeyScope[];
}

export class ApiKeyIdParams {
  @ApiProperty() @IsString() @Length(1, 128) id: string;
}

/** Never the key nor its hash: the lookup prefix is not secret (48 of 256 bits) and helps tell keys apart. */
export class ApiKeyResponse {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'The first characters of the key, to recognise it.' }) key_prefix: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true }) scopes: ApiKeyScope[];
  @ApiTime() created_at: string;
  @ApiTime({ nullable: true }) last_used_at: string | null;
  @ApiTime({ nullable: true }) revoked_at: string | null;
}

export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The secret, shown this once; only its hash is kept.' }) key: string;
}

export class ApiKeyListResponse {
  @ApiProperty({ type: ApiKeyResponse, isArray: true }) items: ApiKeyResponse[];
}

export function toApiKeyResponse(row: ApiKeyRow): ApiKeyResponse {
  return {
    id: row.id,
    name: row.name,
    key_prefix: row.key_prefix,
    scopes: parseScopes(row.scopes),
    created_at: toApiTime(row.created_at),
    last_used_at: toApiTime(row.last_used_at),
    revoked_at: toApiTime(row.revoked_at),
  };
}

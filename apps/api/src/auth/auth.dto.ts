import { ApiProperty } from '@nestjs/swagger';
import { API_KEY_SCOPES, ApiKeyScope } from '@tftsr/db';
import { Principal } from './scopes.decorator';

export class WhoAmIResponse {
  @ApiProperty({ description: 'The API key’s name; audit entries carry it as user_id.' }) name: string;
  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true }) scopes: ApiKeyScope[];
}

export function toWhoAmIResponse(principal: Principal): WhoAmIResponse {
  return { name: principal.name, scopes: principal.scopes };
}

import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, MaxLength } from 'class-validator';
import { SETTING_KEYS } from './settings.registry';
import { ApiTime } from '../common/api-time';

const ANY_JSON = {
  description: 'The value; its type depends on the key (see the key’s description).',
  oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: {} }, { type: 'object' }],
};

export class SettingKeyParams {
  @ApiProperty({ description: `One of ${SETTING_KEYS.join(', ')}.` })
  @IsString()
  @MaxLength(200)
  key: string;
}

export class PutSettingBody {
  @ApiProperty(ANY_JSON)
  @IsDefined()
  value: unknown;
}

export class SettingResponse {
  @ApiProperty({ enum: SETTING_KEYS }) key: string;
  @ApiProperty(ANY_JSON) value: unknown;
  @ApiProperty({ description: 'True when no value was ever set and the default applies.' }) is_default: boolean;
  @ApiTime({ nullable: true }) updated_at: string | null;
  @ApiProperty() description: string;
}

export class SettingListResponse {
  @ApiProperty({ type: SettingResponse, isArray: true }) items: SettingResponse[];
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';

/** 10 MiB, as the issue and the desktop app say. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** A 10 MiB image as base64 is 13.3 MiB; the JSON around it is small. Only this route gets more than 1 MiB. */
export const IMAGE_JSON_BODY_LIMIT = 16 * 1024 * 1024;

const ACKNOWLEDGEMENT =
  'Must be true: the user saw the warning that the image may show personal data (images are not scanned for PII) and chose to attach it.';

/** A pasted screenshot (or any image) as a data URL. */
export class UploadImageJsonBody {
  @ApiProperty({
    description: '`data:image/…;base64,…`. The declared type is ignored: the bytes decide.',
    example: 'data:image/png;base64,iVBORw0KGgo…',
  })
  @IsString()
  data_url: string;

  @ApiProperty({ type: Boolean, description: ACKNOWLEDGEMENT })
  @IsOptional()
  @IsBoolean()
  pii_warning_acknowledged?: boolean;

  @ApiPropertyOptional({
    type: Boolean,
    default: true,
    description: 'A screenshot pasted from the clipboard (audited as upload_paste_image).',
  })
  @IsOptional()
  @IsBoolean()
  is_paste?: boolean;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 1024,
    description: 'Default: pasted-image-<id>.<ext>, or image-<id>.<ext> when is_paste is false.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  file_name?: string;
}

/** The multipart form, for the OpenAPI document; read-image-upload.ts parses it. */
export const MULTIPART_IMAGE_SCHEMA = {
  type: 'object',
  properties: {
    file: { type: 'string', format: 'binary', description: 'png, jpeg, gif, webp or bmp; at most 10 MiB.' },
    pii_warning_acknowledged: { type: 'string', enum: ['true', 'false'], description: ACKNOWLEDGEMENT },
    is_paste: { type: 'string', enum: ['true', 'false'], default: 'false' },
  },
  required: ['file', 'pii_warning_acknowledged'],
};

const STORED_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

/** Only the types this service stores are served as such; anything else in a row is served as opaque bytes. */
export function servedContentType(mimeType: string): string {
  return STORED_TYPES.includes(mimeType) ? mimeType : 'application/octet-stream';
}

const BINARY = { schema: { type: 'string' as const, format: 'binary' } };

export const IMAGE_CONTENT_RESPONSE = {
  description: 'The stored image (metadata removed), verified whole before it is sent.',
  content: Object.fromEntries([...STORED_TYPES, 'application/octet-stream'].map((type) => [type, BINARY])),
  headers: {
    'Content-Disposition': { description: 'Always `attachment`, with the file name.', schema: { type: 'string' as const } },
    'X-Content-Type-Options': { description: 'Always `nosniff`.', schema: { type: 'string' as const } },
  },
};

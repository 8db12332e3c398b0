import { Controller, Delete, Get, Header, HttpCode, Param, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors, UPLOAD_ERRORS } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IdParams } from '../common/validation';
import { ImageAttachmentResponse, toImageAttachmentResponse } from '../issues/issues.dto';
import { attachmentDisposition } from '../common/content-disposition';
import {
  IMAGE_CONTENT_RESPONSE,
  IMAGE_JSON_BODY_LIMIT,
  MULTIPART_IMAGE_SCHEMA,
  servedContentType,
  UploadImageJsonBody,
} from './images.dto';
import { ImagesService } from './images.service';
import { readImageUpload } from './read-image-upload';
import { RouteBodyLimit, RouteMediaTypes } from '../common/route-body-limit';
import { Post } from '../idempotency/post.decorator';

@ApiTags('images')
@Controller('v1')
export class ImagesController {
  constructor(private readonly images: ImagesService) {}

  @Post('issues/:id/images')
  @RouteBodyLimit(IMAGE_JSON_BODY_LIMIT)
  @RouteMediaTypes('multipart/form-data', 'application/json')
  @RequireScopes('write')
  @ApiExtraModels(UploadImageJsonBody)
  @ApiOperation({
    summary:
      'Attach an image: multipart, or JSON with a data URL for a pasted screenshot. Metadata (EXIF, GPS…) is removed before storage.',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: MULTIPART_IMAGE_SCHEMA },
        'application/json': { schema: { $ref: getSchemaPath(UploadImageJsonBody) } },
      },
    },
  })
  @ApiCreatedResponse({ type: ImageAttachmentResponse, description: 'Stored.' })
  @ApiOkResponse({
    type: ImageAttachmentResponse,
    description: 'The same bytes (same upload_hash) were already attached to this issue: that image.',
  })
  @ApiErrors(...UPLOAD_ERRORS, ErrorCode.INVALID_JSON, ErrorCode.PII_WARNING_NOT_ACKNOWLEDGED, ErrorCode.PAYLOAD_TOO_LARGE)
  async upload(
    @Param() params: IdParams,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Actor() actor: string,
  ): Promise<void> {
    const { image, created } = await this.images.upload(params.id, await readImageUpload(request), actor);
    // @Res(): Nest would overwrite any status set here with the route's one.
    await reply
      .status(created ? 201 : 200)
      .header('location', `/v1/images/${image.id}`)
      .send(toImageAttachmentResponse(image));
  }

  @Get('images/:id')
  @RequireScopes('read')
  @ApiOkResponse({ type: ImageAttachmentResponse })
  @ApiErrors(ErrorCode.IMAGE_NOT_FOUND)
  get(@Param() params: IdParams): ImageAttachmentResponse {
    return toImageAttachmentResponse(this.images.getOrThrow(params.id));
  }

  @Get('images/:id/content')
  @RequireScopes('read')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Cache-Control', 'private, no-store')
  @Header('Content-Security-Policy', "default-src 'none'; sandbox")
  @ApiOkResponse(IMAGE_CONTENT_RESPONSE)
  @ApiErrors(ErrorCode.IMAGE_NOT_FOUND, ErrorCode.STORED_FILE_MISSING, ErrorCode.STORED_FILE_CORRUPT)
  async content(@Param() params: IdParams): Promise<StreamableFile> {
    const { image, bytes } = await this.images.content(params.id);
    return new StreamableFile(bytes, {
      type: servedContentType(image.mime_type),
      disposition: attachmentDisposition(image.file_name),
      length: bytes.length,
    });
  }

  @Delete('images/:id')
  @HttpCode(204)
  @RequireScopes('write')
  @ApiNoContentResponse({ description: 'Deleted, audited as delete_image_attachment; the stored file is removed after the commit.' })
  @ApiErrors(ErrorCode.IMAGE_NOT_FOUND)
  async delete(@Param() params: IdParams, @Actor() actor: string): Promise<void> {
    await this.images.delete(params.id, actor);
  }
}

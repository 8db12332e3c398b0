import { Body, Controller, Delete, HttpCode, Param, Patch, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor, RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { IdParams } from '../common/validation';
import {
  CreateResolutionStepBody,
  ReorderResolutionStepsBody,
  ResolutionStepListResponse,
  ResolutionStepResponse,
  UpdateResolutionStepBody,
} from './resolution-steps.dto';
import { ResolutionStepsService } from './resolution-steps.service';
import { Location } from '../common/location';
import { Post } from '../idempotency/post.decorator';

@ApiTags('resolution-steps')
@Controller('v1')
export class ResolutionStepsController {
  constructor(private readonly steps: ResolutionStepsService) {}

  @Post('issues/:id/resolution-steps')
  // Steps are read in their issue; this is the path PATCH and DELETE take.
  @Location((step: ResolutionStepResponse) => `/v1/resolution-steps/${step.id}`)
  @RequireScopes('write')
  @ApiCreatedResponse({ type: ResolutionStepResponse })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND, ErrorCode.STEP_ORDER_TAKEN, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async create(@Param() params: IdParams, @Body() body: CreateResolutionStepBody, @Actor() actor: string): Promise<ResolutionStepResponse> {
    return this.steps.create(params.id, body, actor);
  }

  @Put('issues/:id/resolution-steps/order')
  @RequireScopes('write')
  @ApiOkResponse({ type: ResolutionStepListResponse, description: 'The steps, renumbered 1..n in the order given.' })
  @ApiErrors(ErrorCode.ISSUE_NOT_FOUND, ErrorCode.INVALID_STEP_ORDER, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async reorder(
    @Param() params: IdParams,
    @Body() body: ReorderResolutionStepsBody,
    @Actor() actor: string,
  ): Promise<ResolutionStepListResponse> {
    return this.steps.reorder(params.id, body, actor);
  }

  @Patch('resolution-steps/:id')
  @RequireScopes('write')
  @ApiOkResponse({ type: ResolutionStepResponse })
  @ApiErrors(ErrorCode.RESOLUTION_STEP_NOT_FOUND, ErrorCode.STEP_ORDER_TAKEN, ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_JSON)
  async update(@Param() params: IdParams, @Body() body: UpdateResolutionStepBody, @Actor() actor: string): Promise<ResolutionStepResponse> {
    return this.steps.update(params.id, body, actor);
  }

  @Delete('resolution-steps/:id')
  @HttpCode(204)
  @RequireScopes('write')
  @ApiNoContentResponse({ description: 'Deleted; the other steps keep their order.' })
  @ApiErrors(ErrorCode.RESOLUTION_STEP_NOT_FOUND)
  delete(@Param() params: IdParams, @Actor() actor: string): Promise<void> {
    return this.steps.delete(params.id, actor);
  }
}

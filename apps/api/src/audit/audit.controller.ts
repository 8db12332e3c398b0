import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../auth/scopes.decorator';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';
import { AuditListQuery, AuditListResponse, AuditVerifyResponse } from './audit.dto';
import { AuditService } from './audit.service';

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScopes('admin')
  @ApiOkResponse({ type: AuditListResponse, description: 'Newest first.' })
  @ApiErrors(ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_CURSOR)
  list(@Query() query: AuditListQuery): AuditListResponse {
    return this.audit.list(query);
  }

  @Get('verify')
  @RequireScopes('admin')
  @ApiOkResponse({ type: AuditVerifyResponse, description: 'Walks the HMAC chain and names the first entry that does not fit.' })
  verify(): AuditVerifyResponse {
    return this.audit.verify();
  }
}

import { HttpStatus } from '@nestjs/common';

/** Stable error codes: clients match on these, never on message text. */
export enum ErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  INVALID_JSON = 'INVALID_JSON',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  JOB_NOT_FOUND = 'JOB_NOT_FOUND',
  QUEUE_UNAVAILABLE = 'QUEUE_UNAVAILABLE',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  RATE_LIMITED = 'RATE_LIMITED',
  INVALID_CURSOR = 'INVALID_CURSOR',
  INVALID_SEARCH_QUERY = 'INVALID_SEARCH_QUERY',
  ISSUE_NOT_FOUND = 'ISSUE_NOT_FOUND',
  RESOLUTION_STEP_NOT_FOUND = 'RESOLUTION_STEP_NOT_FOUND',
  STEP_ORDER_TAKEN = 'STEP_ORDER_TAKEN',
  INVALID_STEP_ORDER = 'INVALID_STEP_ORDER',
  CONVERSATION_NOT_FOUND = 'CONVERSATION_NOT_FOUND',
  CONVERSATION_EMPTY = 'CONVERSATION_EMPTY',
  AI_PROVIDER_ERROR = 'AI_PROVIDER_ERROR',
  SETTING_NOT_FOUND = 'SETTING_NOT_FOUND',
  INVALID_SETTING_VALUE = 'INVALID_SETTING_VALUE',
  LOG_FILE_NOT_FOUND = 'LOG_FILE_NOT_FOUND',
  INVALID_UPLOAD = 'INVALID_UPLOAD',
  UPLOAD_TOO_LARGE = 'UPLOAD_TOO_LARGE',
  UNSUPPORTED_FILE_TYPE = 'UNSUPPORTED_FILE_TYPE',
  TOO_MANY_FILES = 'TOO_MANY_FILES',
  INSUFFICIENT_STORAGE = 'INSUFFICIENT_STORAGE',
  STORAGE_UNAVAILABLE = 'STORAGE_UNAVAILABLE',
  IMAGE_NOT_FOUND = 'IMAGE_NOT_FOUND',
  PII_WARNING_NOT_ACKNOWLEDGED = 'PII_WARNING_NOT_ACKNOWLEDGED',
  STORED_FILE_CORRUPT = 'STORED_FILE_CORRUPT',
  STORED_FILE_MISSING = 'STORED_FILE_MISSING',
  LOG_FILE_NOT_READY = 'LOG_FILE_NOT_READY',
  EMPTY_APPROVAL = 'EMPTY_APPROVAL',
  UNKNOWN_SPANS = 'UNKNOWN_SPANS',
  REDACTION_REQUEST_NOT_FOUND = 'REDACTION_REQUEST_NOT_FOUND',
  NOT_REDACTED = 'NOT_REDACTED',
  QUEUE_ACTION_NOT_ALLOWED = 'QUEUE_ACTION_NOT_ALLOWED',
  DOCUMENT_NOT_FOUND = 'DOCUMENT_NOT_FOUND',
  UNKNOWN_INTEGRATION = 'UNKNOWN_INTEGRATION',
  INVALID_INTEGRATION_URL = 'INVALID_INTEGRATION_URL',
  INTEGRATION_NOT_CONFIGURED = 'INTEGRATION_NOT_CONFIGURED',
  CREDENTIAL_NOT_SET = 'CREDENTIAL_NOT_SET',
  CREDENTIAL_EXPIRED = 'CREDENTIAL_EXPIRED',
  DATABASE_BUSY = 'DATABASE_BUSY',
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  INVALID_WEBHOOK_URL = 'INVALID_WEBHOOK_URL',
  IDEMPOTENCY_KEY_INVALID = 'IDEMPOTENCY_KEY_INVALID',
  IDEMPOTENCY_KEY_IN_USE = 'IDEMPOTENCY_KEY_IN_USE',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  LOG_FILE_FINALIZED = 'LOG_FILE_FINALIZED',
  UNKNOWN_PII_VALUES = 'UNKNOWN_PII_VALUES',
  INVALID_SPAN_RANGE = 'INVALID_SPAN_RANGE',
  API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND',
  API_KEY_NAME_TAKEN = 'API_KEY_NAME_TAKEN',
  LAST_ADMIN_KEY = 'LAST_ADMIN_KEY',
  PII_GATE_BLOCKED = 'PII_GATE_BLOCKED',
  INGEST_BACKLOG_FULL = 'INGEST_BACKLOG_FULL',
  INVALID_INGEST_BODY = 'INVALID_INGEST_BODY',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
}

/** One table from code to status. A code without a status does not compile. */
export const ERROR_STATUS: { readonly [C in ErrorCode]: HttpStatus } = {
  [ErrorCode.VALIDATION_FAILED]: HttpStatus.BAD_REQUEST,
  [ErrorCode.INVALID_JSON]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.PAYLOAD_TOO_LARGE]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorCode.ROUTE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.METHOD_NOT_ALLOWED]: HttpStatus.METHOD_NOT_ALLOWED,
  [ErrorCode.JOB_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.QUEUE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.INTERNAL_ERROR]: HttpStatus.INTERNAL_SERVER_ERROR,
  [ErrorCode.UNAUTHENTICATED]: HttpStatus.UNAUTHORIZED,
  [ErrorCode.FORBIDDEN]: HttpStatus.FORBIDDEN,
  [ErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.INVALID_CURSOR]: HttpStatus.BAD_REQUEST,
  [ErrorCode.INVALID_SEARCH_QUERY]: HttpStatus.BAD_REQUEST,
  [ErrorCode.ISSUE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.RESOLUTION_STEP_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.STEP_ORDER_TAKEN]: HttpStatus.CONFLICT,
  [ErrorCode.INVALID_STEP_ORDER]: HttpStatus.BAD_REQUEST,
  [ErrorCode.CONVERSATION_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.CONVERSATION_EMPTY]: HttpStatus.CONFLICT,
  [ErrorCode.AI_PROVIDER_ERROR]: HttpStatus.BAD_GATEWAY,
  [ErrorCode.SETTING_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.INVALID_SETTING_VALUE]: HttpStatus.BAD_REQUEST,
  [ErrorCode.LOG_FILE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.INVALID_UPLOAD]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UPLOAD_TOO_LARGE]: HttpStatus.PAYLOAD_TOO_LARGE,
  [ErrorCode.UNSUPPORTED_FILE_TYPE]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [ErrorCode.TOO_MANY_FILES]: HttpStatus.CONFLICT,
  [ErrorCode.INSUFFICIENT_STORAGE]: HttpStatus.INSUFFICIENT_STORAGE,
  [ErrorCode.STORAGE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.IMAGE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.PII_WARNING_NOT_ACKNOWLEDGED]: HttpStatus.BAD_REQUEST,
  // The server's own file failed its integrity check: not the client's fault, and never served.
  [ErrorCode.STORED_FILE_CORRUPT]: HttpStatus.INTERNAL_SERVER_ERROR,
  // The row exists but its bytes do not (removed, or a desktop-app row that pointed at the user's own disk).
  [ErrorCode.STORED_FILE_MISSING]: HttpStatus.GONE,
  [ErrorCode.LOG_FILE_NOT_READY]: HttpStatus.CONFLICT,
  [ErrorCode.EMPTY_APPROVAL]: HttpStatus.BAD_REQUEST,
  [ErrorCode.UNKNOWN_SPANS]: HttpStatus.BAD_REQUEST,
  [ErrorCode.REDACTION_REQUEST_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.NOT_REDACTED]: HttpStatus.CONFLICT,
  // The queue dashboard cannot add jobs or edit their data: jobs carry ids only, and come from the outbox.
  [ErrorCode.QUEUE_ACTION_NOT_ALLOWED]: HttpStatus.FORBIDDEN,
  [ErrorCode.DOCUMENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.UNKNOWN_INTEGRATION]: HttpStatus.NOT_FOUND,
  [ErrorCode.INVALID_INTEGRATION_URL]: HttpStatus.BAD_REQUEST,
  [ErrorCode.INTEGRATION_NOT_CONFIGURED]: HttpStatus.CONFLICT,
  [ErrorCode.CREDENTIAL_NOT_SET]: HttpStatus.CONFLICT,
  [ErrorCode.CREDENTIAL_EXPIRED]: HttpStatus.CONFLICT,
  // The write lock stayed taken past the busy timeout: nothing was written, and a retry will most likely pass.
  [ErrorCode.DATABASE_BUSY]: HttpStatus.SERVICE_UNAVAILABLE,
  [ErrorCode.WEBHOOK_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.INVALID_WEBHOOK_URL]: HttpStatus.BAD_REQUEST,
  // Idempotency-Key (IETF httpapi draft): malformed 400, the first request still running 409, another request under the key 422.
  [ErrorCode.IDEMPOTENCY_KEY_INVALID]: HttpStatus.BAD_REQUEST,
  [ErrorCode.IDEMPOTENCY_KEY_IN_USE]: HttpStatus.CONFLICT,
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: HttpStatus.UNPROCESSABLE_ENTITY,
  // Finalized: the originals are wiped, so the redacted copy can no longer change.
  [ErrorCode.LOG_FILE_FINALIZED]: HttpStatus.CONFLICT,
  [ErrorCode.UNKNOWN_PII_VALUES]: HttpStatus.BAD_REQUEST,
  [ErrorCode.INVALID_SPAN_RANGE]: HttpStatus.BAD_REQUEST,
  [ErrorCode.API_KEY_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [ErrorCode.API_KEY_NAME_TAKEN]: HttpStatus.CONFLICT,
  // Revoking the last active admin key would leave nobody able to manage keys over the API.
  [ErrorCode.LAST_ADMIN_KEY]: HttpStatus.CONFLICT,
  // The exit gate found PII in what would leave (publishing.pii_gate is block): nothing was sent.
  [ErrorCode.PII_GATE_BLOCKED]: HttpStatus.UNPROCESSABLE_ENTITY,
  // Too many shipped bytes wait for a scan: the shipper retries after Retry-After, nothing was written.
  [ErrorCode.INGEST_BACKLOG_FULL]: HttpStatus.TOO_MANY_REQUESTS,
  [ErrorCode.INVALID_INGEST_BODY]: HttpStatus.BAD_REQUEST,
  // The body came in slower than the minimum rate, or not whole within the hard timeout; nothing was kept.
  [ErrorCode.REQUEST_TIMEOUT]: HttpStatus.REQUEST_TIMEOUT,
};

/**
 * Headers every error of a status carries, whoever raised it: the OpenAPI document declares them per status
 * (api-responses.ts), so an answer without them breaks the contract. An error can still give its own value (the
 * seconds a limit has left, a shipper protocol's challenge).
 */
export const STATUS_HEADERS: Readonly<Partial<Record<number, Readonly<Record<string, string>>>>> = {
  [HttpStatus.UNAUTHORIZED]: { 'WWW-Authenticate': 'Bearer' },
  [HttpStatus.TOO_MANY_REQUESTS]: { 'Retry-After': '1' },
  // A store, the queue or the write lock that is away for now: long enough not to hammer it, short enough to ride out a blip.
  [HttpStatus.SERVICE_UNAVAILABLE]: { 'Retry-After': '5' },
};

export class DomainError extends Error {
  /** Response headers the error needs: its status's (STATUS_HEADERS), then its own. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Headers of this error's own, e.g. Retry-After with the seconds a limit has left. */
    headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
    this.headers = { ...STATUS_HEADERS[ERROR_STATUS[code]], ...headers };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  request_id: string;
}

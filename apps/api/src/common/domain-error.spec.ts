import { HEADERS } from './api-responses';
import { DomainError, ERROR_STATUS, ErrorCode } from './domain-error';

describe('DomainError', () => {
  // The OpenAPI document declares headers per status (Retry-After on 429 and 503, WWW-Authenticate on 401): an
  // error raised without them, as STORAGE_UNAVAILABLE and QUEUE_UNAVAILABLE once were, broke that contract.
  it.each(Object.values(ErrorCode))('%s carries every header its status declares', (code) => {
    const declared = Object.keys(HEADERS[ERROR_STATUS[code]] ?? {});
    const error = new DomainError(code, 'refused');
    for (const name of declared) expect([name, error.headers[name]]).toEqual([name, expect.stringMatching(/\S/)]);
  });

  it("keeps an error's own value over its status's", () => {
    const limited = new DomainError(ErrorCode.RATE_LIMITED, 'slow down', undefined, { 'Retry-After': '37' });
    expect(limited.headers['Retry-After']).toBe('37');
    expect(new DomainError(ErrorCode.ISSUE_NOT_FOUND, 'gone').headers).toEqual({});
  });
});

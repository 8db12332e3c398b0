import SwaggerParser from '@apidevtools/swagger-parser';
import { ErrorCode } from '@tftsr/api/common/domain-error';
import { useTestApi } from '../support/api-harness';
import { openApiProblems } from '../support/openapi-check';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

describe('the OpenAPI document', () => {
  const api = useTestApi('openapi');

  const operations = () =>
    Object.entries(api.openapi.doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );

  it('is served without a key and validates as OpenAPI 3.0 (structure, parameters, $refs, schemas)', () => {
    expect(api.openapi.doc.openapi).toMatch(/^3\.0\./);
    expect(openApiProblems(api.openapi.doc)).toEqual([]);
  });

  it('passes a full OpenAPI 3 validator (swagger-parser: the official schema plus $ref resolution)', async () => {
    const served = (await (await fetch(`${api.base}/openapi.json`)).json()) as object;
    await expect(SwaggerParser.validate(served as never)).resolves.toMatchObject({ openapi: expect.stringMatching(/^3\./) });
  });

  it('lists every route of the investigation API under /v1', () => {
    const routes = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /v1/issues',
        'GET /v1/issues',
        'GET /v1/issues/{id}',
        'PATCH /v1/issues/{id}',
        'DELETE /v1/issues/{id}',
        'POST /v1/issues/{id}/resolution-steps',
        'PUT /v1/issues/{id}/resolution-steps/order',
        'PATCH /v1/resolution-steps/{id}',
        'DELETE /v1/resolution-steps/{id}',
        'POST /v1/issues/{id}/conversations',
        'GET /v1/conversations/{id}',
        'POST /v1/conversations/{id}/messages',
        'POST /v1/conversations/{id}/completions',
        'GET /v1/settings',
        'GET /v1/settings/{key}',
        'PUT /v1/settings/{key}',
        'GET /v1/audit',
        'GET /v1/audit/verify',
        'GET /v1/auth/whoami',
        'GET /v1/api-keys',
        'POST /v1/api-keys',
        'DELETE /v1/api-keys/{id}',
      ]),
    );
  });

  it('declares Bearer security, 401, 403 and 429 (with Retry-After) on every keyed route, each error naming its codes', () => {
    const keyed = operations().filter(({ path }) => path.startsWith('/v1/') && !path.startsWith('/v1/system/'));
    for (const { method, path, operation } of keyed) {
      const where = `${method.toUpperCase()} ${path}`;
      expect([where, operation.security]).toEqual([where, [{ bearer: [] }]]);
      for (const status of ['401', '403', '429'])
        expect([where, Object.keys(operation.responses)]).toEqual([where, expect.arrayContaining([status])]);
      expect(operation.responses['429'].headers).toHaveProperty('Retry-After');
      for (const [status, response] of Object.entries(operation.responses).filter(([s]) => Number(s) >= 400)) {
        const codes = String(response.description).split(', ');
        expect([where, status, codes.every((c) => Object.values(ErrorCode).includes(c as ErrorCode))]).toEqual([where, status, true]);
        expect(response.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
      }
    }
  });

  it('declares 503 DATABASE_BUSY (with Retry-After) on every route that writes: each POST, PUT, PATCH and DELETE', () => {
    const writes = operations().filter(({ method }) => method !== 'get');
    expect(writes.length).toBeGreaterThan(30);
    for (const { method, path, operation } of writes) {
      const where = `${method.toUpperCase()} ${path}`;
      const busy = operation.responses['503'];
      expect([where, String(busy?.description).split(', ')]).toEqual([where, expect.arrayContaining([ErrorCode.DATABASE_BUSY])]);
      expect([where, Object.keys(busy?.headers ?? {})]).toEqual([where, expect.arrayContaining(['Retry-After'])]);
    }
  });
});

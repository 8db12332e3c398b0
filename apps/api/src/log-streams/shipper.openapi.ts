import { ErrorCode } from '../common/domain-error';
import { STREAM_NAME } from './shipper-bodies';

const JSON_ERROR = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } };
const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
const LINES_ERRORS: Record<string, ErrorCode[]> = {
  400: [ErrorCode.VALIDATION_FAILED, ErrorCode.INVALID_INGEST_BODY],
  401: [ErrorCode.UNAUTHENTICATED],
  403: [ErrorCode.FORBIDDEN],
  404: [ErrorCode.ISSUE_NOT_FOUND],
  409: [ErrorCode.TOO_MANY_FILES],
  413: [ErrorCode.UPLOAD_TOO_LARGE, ErrorCode.PAYLOAD_TOO_LARGE],
  415: [ErrorCode.UNSUPPORTED_MEDIA_TYPE],
  429: [ErrorCode.RATE_LIMITED, ErrorCode.INGEST_BACKLOG_FULL],
  503: [ErrorCode.DATABASE_BUSY],
};

type OpenApiPaths = Record<string, Record<string, unknown>>;

/** The shipper routes are plain Fastify routes, so Nest's Swagger does not see them: they are described here. */
export function documentShipperRoutes(document: { paths: OpenApiPaths }): void {
  const protocolErrors = (what: string) => ({
    '4XX': {
      description: `Refused, in ${what}'s own error shape (401 without a valid key, 403 without ingest, 429 with Retry-After).`,
      headers: RETRY_AFTER,
    },
    // Nothing was written: the database stayed busy for the busy timeout. In the protocol's own shape, as above.
    503: { description: ErrorCode.DATABASE_BUSY, headers: RETRY_AFTER },
  });
  const op = (
    summary: string,
    description: string,
    content: string[],
    ok: Record<string, unknown>,
    errors: Record<string, unknown>,
    parameters: unknown[] = [],
  ) => ({
    tags: ['shippers'],
    summary,
    description,
    security: [{ bearer: [] }],
    parameters,
    requestBody: {
      required: true,
      content: Object.fromEntries(content.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
    },
    responses: { ...ok, ...errors },
  });
  const linesErrors = Object.fromEntries(
    Object.entries(LINES_ERRORS).map(([status, codes]) => [
      status,
      { description: codes.join(', '), content: JSON_ERROR, ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}) },
    ]),
  );
  const pathParam = (name: string, schema: Record<string, unknown>) => ({ name, in: 'path', required: true, schema });
  document.paths['/v1/issues/{id}/log-streams/{stream}'] = {
    post: op(
      'Append text or NDJSON lines to a stream of the issue (Vector http sink, Fluent Bit http output)',
      'Bearer, Basic (key as password) or ApiKey credentials with the ingest scope. Content-Encoding: gzip accepted. 200 once the lines are committed.',
      ['application/x-ndjson', 'application/json', 'text/plain'],
      {
        200: {
          description: 'Committed durably.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { issue_id: { type: 'string' }, stream: { type: 'string' }, accepted_lines: { type: 'integer' } },
                required: ['issue_id', 'stream', 'accepted_lines'],
              },
            },
          },
        },
      },
      linesErrors,
      [pathParam('id', { type: 'string', format: 'uuid' }), pathParam('stream', { type: 'string', pattern: STREAM_NAME.source })],
    ),
  };
  document.paths['/loki/api/v1/push'] = {
    post: op(
      'Loki push (JSON, or protobuf with snappy); the label tftsr_issue picks the issue',
      'Errors are plain text, as Loki answers them: 409 TOO_MANY_FILES when a new chunk would pass uploads.max_files_per_issue.',
      ['application/json', 'application/x-protobuf'],
      { 204: { description: 'Committed durably.' } },
      protocolErrors('Loki'),
    ),
  };
  const bulk = op(
    'Elasticsearch _bulk subset: index and create actions; the index tftsr-<issue id> picks the issue',
    'Answers { took, errors, items } as Elasticsearch does; update and delete, unknown indices and documents ' +
      'past uploads.max_files_per_issue are refused per item.',
    ['application/x-ndjson', 'application/json'],
    {
      200: {
        description: 'Per-item results.',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { took: { type: 'integer' }, errors: { type: 'boolean' }, items: { type: 'array', items: { type: 'object' } } },
            },
          },
        },
      },
    },
    protocolErrors('Elasticsearch'),
  );
  document.paths['/_bulk'] = { post: bulk, put: bulk };
  const indexed = { ...bulk, parameters: [pathParam('index', { type: 'string' })] };
  document.paths['/{index}/_bulk'] = { post: indexed, put: indexed };
  document.paths['/'] = {
    get: {
      tags: ['shippers'],
      summary: 'The Elasticsearch version document that clients probe at start (no key needed)',
      responses: {
        200: { description: 'Cluster name and version (8.x).', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  };
}

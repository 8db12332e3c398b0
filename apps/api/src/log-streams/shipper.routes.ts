import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { newId } from '@tftsr/db';
import { admitKey } from '../auth/admit-key';
import { ApiKeyService } from '../auth/api-key.service';
import { RateLimiter } from '../auth/rate-limiter.service';
import type { Principal } from '../auth/scopes.decorator';
import { grants } from '../auth/scopes.decorator';
import type { AddressLimits } from '../auth/address-limits';
import { shipperKey } from '../auth/shipper-credentials';
import { DomainError, ErrorCode } from '../common/domain-error';
import { busyToDomainError } from '../common/error.filter';
import { asUploadError, guardedGunzip } from '../log-files/upload-limits';
import { SettingsService } from '../settings/settings.service';
import type { StreamAppend } from './log-chunk-writer.service';
import { LogChunksService } from './log-chunks.service';
import type { BulkItem, ChunkLines, StreamLines } from './shipper-bodies';
import { parseBulk, parseLokiJson, parseLokiProtobuf, STREAM_NAME, textChunkLines, toChunkBytes, toChunkLines } from './shipper-bodies';
import type { ShipperProtocol } from './shipper-errors';
import { sendShipperError } from './shipper-errors';

/** One request's body, as sent (gzip or not); shippers batch, and 32 MiB is well past their defaults. */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** One request's lines after decompressing, also bounded by uploads.max_file_bytes. */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;
/** The uploads' bomb ratio (log-files.service.ts). */
const MAX_GZIP_RATIO = 200;
const ES_VERSION = '8.11.0';

type ShipperRequest = FastifyRequest & { principal?: Principal; joined?: () => void };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the shipper routes: which protocol's credentials and error shape apply. */
    shipper?: ShipperProtocol;
  }
}

function protocolOf(request: FastifyRequest): ShipperProtocol | undefined {
  return (request.routeOptions.config as { shipper?: ShipperProtocol } | undefined)?.shipper;
}

/**
 * The shipper endpoints, as plain Fastify routes in their own scope: they take any content type as a buffer,
 * admit Bearer, Basic and ApiKey credentials (the `ingest` scope, or write/admin), and answer errors in each
 * protocol's shape. Registered on the Nest app's Fastify instance before it starts listening.
 */
export function installShipperRoutes(app: NestFastifyApplication, limits: Pick<AddressLimits, 'admitting'>): void {
  const fastify = app.getHttpAdapter().getInstance();
  const chunks = app.get(LogChunksService, { strict: false });
  const keys = app.get(ApiKeyService, { strict: false });
  const limiter = app.get(RateLimiter, { strict: false });
  const settings = app.get(SettingsService, { strict: false });
  const logger = new Logger('Shippers');

  void fastify.register(async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BYTES }, (_request, body, done) => done(null, body));

    scope.addHook('onRequest', async (request: ShipperRequest, reply: FastifyReply) => {
      const protocol = protocolOf(request);
      if (!protocol) return;
      // Failed authentications count against the same per-address and global limits as every other route.
      const principal = await limits.admitting(request, () => {
        const key = shipperKey(request.headers.authorization);
        if (!key) throw unauthenticated('send an API key as Bearer, as the password of Basic auth, or as an ApiKey header');
        return admitKey(keys, limiter, key, unauthenticated);
      });
      if (!grants(principal.scopes, 'ingest')) {
        throw new DomainError(ErrorCode.FORBIDDEN, 'this API key lacks the scope ingest', { missing_scopes: ['ingest'] });
      }
      request.principal = principal;
      chunks.assertBacklogRoom();
      // The group commit waits (briefly) for this request's lines; it stops waiting once they are queued or the
      // request ends in any way (answered, refused, or its connection gone, perhaps while it was being admitted).
      const release = chunks.expect();
      request.joined = release;
      if (request.raw.destroyed || reply.raw.destroyed) release();
      else reply.raw.once('close', release);
    });
    const joined = (request: ShipperRequest) => request.joined?.();

    scope.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const protocol = protocolOf(request) ?? 'lines';
      return sendShipperError(protocol, toDomainError(err, logger), request, reply);
    });

    const decoded = async (request: FastifyRequest): Promise<Buffer> => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const max = Math.min(MAX_DECODED_BYTES, settings.value('uploads.max_file_bytes'));
      const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
      if (encoding === 'identity') {
        if (body.length > max)
          throw new DomainError(ErrorCode.UPLOAD_TOO_LARGE, `the body is larger than the limit of ${max} bytes`, { max_bytes: max });
        return body;
      }
      if (encoding !== 'gzip')
        throw new DomainError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Encoding ${encoding} is not accepted (gzip is)`);
      const out: Buffer[] = [];
      const collect = new Writable({
        write(part: Buffer, _e, done) {
          out.push(part);
          done();
        },
      });
      try {
        await pipeline([Readable.from([body]), ...guardedGunzip(max, MAX_GZIP_RATIO), collect]);
      } catch (err) {
        const mapped = asUploadError(err);
        if (mapped instanceof DomainError && mapped.code === ErrorCode.INVALID_UPLOAD)
          throw new DomainError(ErrorCode.INVALID_INGEST_BODY, 'the body is not valid gzip');
        throw mapped;
      }
      return Buffer.concat(out);
    };

    /** `checkedIssue`: an issue the route has just found (the batch's transaction checks it again). */
    const accept = async (
      request: ShipperRequest,
      streams: ChunkLines[],
      source: StreamAppend['source'],
      checkedIssue?: string,
    ): Promise<number> => {
      const appends: StreamAppend[] = [];
      for (const s of streams) {
        if (!s.issueId)
          throw new DomainError(
            ErrorCode.INVALID_INGEST_BODY,
            `stream ${s.stream} has no tftsr_issue label: it picks the issue the lines belong to`,
          );
        if (s.issueId !== checkedIssue) chunks.assertIssueExists(s.issueId);
        if (s.lines > 0) appends.push({ issueId: s.issueId, stream: s.stream, source, data: s.data, lines: s.lines });
      }
      const committed = chunks.append(appends, (request.principal as Principal).name);
      joined(request);
      await committed;
      return appends.reduce((n, a) => n + a.lines, 0);
    };

    // Plain lines (Vector http sink, Fluent Bit http output): text or NDJSON, or a JSON array of events.
    scope.post('/v1/issues/:id/log-streams/:stream', { config: { shipper: 'lines' } }, async (request: ShipperRequest, reply) => {
      const { id, stream } = request.params as { id: string; stream: string };
      if (!STREAM_NAME.test(stream))
        throw new DomainError(ErrorCode.VALIDATION_FAILED, 'a stream name is 1-128 letters, digits, dots, underscores or hyphens');
      chunks.assertIssueExists(id);
      const body = await decoded(request);
      const array = jsonArrayLines(body, String(request.headers['content-type'] ?? ''));
      const lines = array ? { data: toChunkBytes(array), lines: array.length } : textChunkLines(body);
      // A body taken as sent was read without yielding to other requests, so the check above still holds for it;
      // a gunzipped one yielded meanwhile (the issue may be gone), so it is checked again.
      const checked = body === request.body ? id : undefined;
      const accepted = await accept(request, [{ issueId: id, stream, ...lines }], 'lines', checked);
      return reply.code(200).send({ issue_id: id, stream, accepted_lines: accepted });
    });

    scope.post('/loki/api/v1/push', { config: { shipper: 'loki' } }, async (request: ShipperRequest, reply) => {
      const type = String(request.headers['content-type'] ?? '').toLowerCase();
      const body = await decoded(request);
      const max = Math.min(MAX_DECODED_BYTES, settings.value('uploads.max_file_bytes'));
      const streams = type.startsWith('application/json') ? parseLokiJson(body) : parseLokiProtobuf(body, max);
      await accept(request, streams.map(toChunkLines), 'loki');
      return reply.code(204).send();
    });

    // Clients (Beats, Logstash, the official clients) probe the version at start and check this header.
    scope.get('/', async (_request, reply) =>
      reply.header('X-Elastic-Product', 'Elasticsearch').send({
        name: 'tftsr',
        cluster_name: 'tftsr',
        cluster_uuid: CLUSTER_UUID,
        version: {
          number: ES_VERSION,
          build_flavor: 'default',
          build_type: 'tftsr',
          lucene_version: '9.8.0',
          minimum_wire_compatibility_version: '7.17.0',
          minimum_index_compatibility_version: '7.0.0',
        },
        tagline: 'You Know, for Search',
      }),
    );

    const bulk = async (request: ShipperRequest, reply: FastifyReply) => {
      const started = Date.now();
      const { index } = (request.params ?? {}) as { index?: string };
      const items = parseBulk(await decoded(request), index);
      const streams = new Map<string, StreamLines & { issueId: string; items: BulkItem[] }>();
      for (const item of items) {
        if (item.error) continue;
        const issueId = /^tftsr-(.+)$/.exec(item.index ?? '')?.[1];
        if (!issueId || !issueExists(chunks, issueId)) {
          item.error = {
            status: 404,
            type: 'index_not_found_exception',
            reason: `no such index [${item.index ?? ''}]: use tftsr-<issue id>`,
          };
          continue;
        }
        const stream = bulkStream(item.doc as string);
        const key = `${issueId}\n${stream}`;
        const entry = streams.get(key) ?? { issueId, stream, lines: [], items: [] };
        entry.lines.push(item.doc as string);
        entry.items.push(item);
        streams.set(key, entry);
      }
      // A full issue refuses per item with 400, as Elasticsearch refuses a document it can never take: Beats and
      // Logstash drop (or dead-letter) a 400 item and carry on, where a top-level 4xx or a 429 is retried forever.
      const grouped = [...streams.values()];
      const refusals = chunks.fileLimitRefusals(grouped);
      const taken = grouped.filter((entry, n) => {
        const refusal = refusals[n];
        if (refusal) refuseItems(entry.items, refusal);
        return !refusal;
      });
      try {
        await accept(request, taken.map(toChunkLines), 'bulk');
      } catch (err) {
        // Another request took the last file between the check and the commit: this request wrote nothing.
        if (!(err instanceof DomainError) || err.code !== ErrorCode.TOO_MANY_FILES) throw err;
        for (const entry of taken) refuseItems(entry.items, err);
      }
      return reply.header('X-Elastic-Product', 'Elasticsearch').send({
        took: Date.now() - started,
        errors: items.some((i) => i.error),
        items: items.map((item, seq) => bulkItemResponse(item, seq)),
      });
    };
    scope.post('/_bulk', { config: { shipper: 'es' } }, bulk);
    scope.put('/_bulk', { config: { shipper: 'es' } }, bulk);
    scope.post('/:index/_bulk', { config: { shipper: 'es' } }, bulk);
    scope.put('/:index/_bulk', { config: { shipper: 'es' } }, bulk);
  });
}

const CLUSTER_UUID = randomUUID();

function unauthenticated(message: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, message);
}

function issueExists(chunks: LogChunksService, issueId: string): boolean {
  try {
    chunks.assertIssueExists(issueId);
    return true;
  } catch {
    return false;
  }
}

/** A bulk document's stream: `bulk-<host>` when the document names its host, else `bulk`. */
function bulkStream(doc: string): string {
  const parsed = JSON.parse(doc) as { host?: unknown; hostname?: unknown };
  const host =
    typeof parsed.host === 'object' && parsed.host !== null ? (parsed.host as { name?: unknown }).name : (parsed.host ?? parsed.hostname);
  const clean = typeof host === 'string' ? host.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) : '';
  return clean ? `bulk-${clean}` : 'bulk';
}

function refuseItems(items: BulkItem[], err: DomainError): void {
  for (const item of items) item.error = { status: 400, type: 'validation_exception', reason: `${err.code}: ${err.message}` };
}

function bulkItemResponse(item: BulkItem, seq: number): Record<string, unknown> {
  const id = item.id ?? newId();
  if (item.error) {
    return {
      [item.op]: {
        _index: item.index ?? null,
        _id: id,
        status: item.error.status,
        error: { type: item.error.type, reason: item.error.reason },
      },
    };
  }
  return {
    [item.op]: {
      _index: item.index,
      _id: id,
      _version: 1,
      result: 'created',
      _shards: { total: 1, successful: 1, failed: 0 },
      _seq_no: seq,
      _primary_term: 1,
      status: 201,
    },
  };
}

/** Vector's json codec without newline framing sends a JSON array: one line per element. */
function jsonArrayLines(body: Buffer, contentType: string): string[] | null {
  if (!contentType.toLowerCase().startsWith('application/json')) return null;
  const text = body.toString('utf8');
  if (!text.trimStart().startsWith('[')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return Array.isArray(parsed) ? parsed.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) : null;
}

function toDomainError(err: unknown, logger: Logger): DomainError {
  if (err instanceof DomainError) return err;
  const code = (err as { code?: string } | null)?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new DomainError(ErrorCode.PAYLOAD_TOO_LARGE, `the body is larger than ${MAX_REQUEST_BYTES} bytes`);
  if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return new DomainError(ErrorCode.INVALID_INGEST_BODY, (err as Error).message);
  const busy = busyToDomainError(err, logger);
  if (busy instanceof DomainError) return busy;
  const errorId = randomUUID();
  logger.error(`unhandled shipper error ${errorId}: ${(err as Error)?.stack ?? String(err)}`);
  return new DomainError(ErrorCode.INTERNAL_ERROR, `internal error; quote error id ${errorId} to the operator`, { error_id: errorId });
}

import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { databaseOptions, ensureDataDir } from '@tftsr/config';
import { openAndMigrate, warnAboutOpenModes } from '@tftsr/db';
import { loggerFor, PinoNestLogger, withoutRedaction } from '@tftsr/telemetry';
import { AppModule } from './app.module';
import { ApiValidationPipe } from './common/api-validation.pipe';
import { declareBusyErrors, declareMediaTypeErrors } from './common/api-responses';
import { ErrorFilter } from './common/error.filter';
import { installBodyWatchdog } from './common/body-watchdog';
import { installConnectionDrain } from './common/connection-drain';
import { installJsonBodyParser } from './common/json-body';
import { declareLocationHeaders } from './common/location';
import { installSecurityHeaders } from './common/security-headers';
import { installAddressLimits } from './auth/address-limits';
import { ApiKeyService } from './auth/api-key.service';
import { RateLimiter } from './auth/rate-limiter.service';
import { documentGateRefusals, installRequestGate } from './auth/request-gate';
import { installRouteBodyLimits } from './common/route-body-limit';
import { installUploadParsers } from './log-files/upload-parsers';
import { documentShipperRoutes } from './log-streams/shipper.openapi';
import { installShipperRoutes } from './log-streams/shipper.routes';
import type { ApiConfig } from './config/api.config';
import { ApiMetrics } from './metrics/api-metrics.service';
import { installHttpTelemetry } from './metrics/http-telemetry';
import { installQueueDashboard } from './queue-dashboard/queue-dashboard';
import { installBodyDigest } from './idempotency/body-digest';
import { installWebUi } from './web-ui/web-ui';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the application; main.ts listens, tests use the same function so they test what runs. */
export async function createApiApp(config: ApiConfig, log: PinoLogger = loggerFor('api', config)): Promise<NestFastifyApplication> {
  ensureDataDir(config.dataDir);
  // Every Nest Logger, from here on and in every module, writes JSON lines through pino.
  const nestLogger = new PinoNestLogger(log);
  Logger.overrideLogger(nestLogger);
  const logger = new Logger('api');
  warnAboutOpenModes(config.dataDir, (message) => logger.warn(message));
  const db = openAndMigrate(databaseOptions(config), logger);
  const adapter = new FastifyAdapter({
    // Honour a caller's request id when it is sane, so one id follows a request across systems.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    // A backstop behind the body watchdog (common/body-watchdog.ts): Node's own 408 and close.
    requestTimeout: config.TFTSR_REQUEST_TIMEOUT_MS + 10_000,
    trustProxy: config.TFTSR_TRUST_PROXY ? config.TFTSR_TRUST_PROXY.split(',').map((s) => s.trim()) : false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, db), adapter, {
    logger: nestLogger,
    bufferLogs: false,
    abortOnError: false,
    // Our own JSON parser (common/json-body.ts) replaces Nest's, so malformed JSON keeps its error code.
    bodyParser: false,
  });
  app.useGlobalPipes(new ApiValidationPipe());
  const errors = new ErrorFilter();
  app.useGlobalFilters(errors);
  const fastify = app.getHttpAdapter().getInstance();
  installJsonBodyParser(fastify);
  // Requests in flight get the grace period; the rest of the close gets the margin main.ts adds to it.
  installConnectionDrain(fastify, config.TFTSR_SHUTDOWN_GRACE_MS, (m) => logger.warn(m));
  // These hooks run, in this order, before any route's body is read: headers on every answer, the address
  // limits, the key (and the media type), then the body watchdog.
  installSecurityHeaders(fastify);
  // Set as the request arrives, so every answer carries it, the hooks' refusals included.
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  const limits = await installAddressLimits(fastify, config, logger);
  installRequestGate(fastify, {
    keys: app.get(ApiKeyService, { strict: false }),
    limiter: app.get(RateLimiter, { strict: false }),
    limits,
  });
  installBodyWatchdog(fastify, {
    minBytesPerSecond: config.TFTSR_UPLOAD_MIN_BYTES_PER_SECOND,
    windowMs: config.TFTSR_UPLOAD_RATE_WINDOW_MS,
    timeoutMs: config.TFTSR_REQUEST_TIMEOUT_MS,
  });
  // Before app.init() registers the routes, so that a route's @RouteBodyLimit reaches Fastify.
  installRouteBodyLimits(fastify);
  await installUploadParsers(app);
  installBodyDigest(fastify);
  installHttpTelemetry(fastify, withoutRedaction(log), app.get(ApiMetrics));
  // Loki push, _bulk and NDJSON lines: their own scope (any body as a buffer, shipper credentials, protocol errors).
  installShipperRoutes(app, limits);
  // After the hooks above, which its routes inherit, and before Swagger's static files.
  await installQueueDashboard(app, limits);
  await installWebUi(app);
  const document = declareBusyErrors(
    declareMediaTypeErrors(
      declareLocationHeaders(
        SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('TFTSR service').setVersion('0.1.0').addBearerAuth().build()),
      ),
    ),
  );
  errors.useConsumedTypes(document);
  documentShipperRoutes(document as never);
  documentGateRefusals(document as never);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  return app;
}

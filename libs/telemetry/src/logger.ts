import type { DestinationStream, Logger } from 'pino';
import pino from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Field names whose values never reach a log line, at any of the first three levels of nesting: credentials,
 * and every field that can hold what a user wrote or uploaded. Interpolated message text is not covered, so
 * log lines carry ids and counts, never values.
 */
export const REDACTED_FIELDS = [
  // Credentials (headers as Fastify and Node name them, and the fields our DTOs and rows use).
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'password',
  'passphrase',
  'token',
  'access_token',
  'refresh_token',
  'encrypted_token',
  'secret',
  'client_secret',
  'pat',
  'api_key',
  'apiKey',
  'secretAccessKey',
  // Content: issue and document text, AI messages, resolution steps, PII originals, request bodies.
  'content',
  'content_md',
  'body',
  'description',
  'title',
  'answer',
  'why_question',
  'evidence',
  'original_value',
  'value',
  'text',
  'prompt',
  'messages',
  'query',
] as const;

export const REDACTED = '[REDACTED]';

/** pino paths for every field above: `f`, `*.f` and `*.*.f` (so `req.headers.authorization` is covered). */
export function redactPaths(fields: readonly string[] = REDACTED_FIELDS): string[] {
  return fields.flatMap((field) => {
    const plain = /^[A-Za-z_$][\w$]*$/.test(field);
    const own = plain ? field : `["${field}"]`;
    const nested = plain ? `.${field}` : `["${field}"]`;
    return [own, `*${nested}`, `*.*${nested}`];
  });
}

export interface LoggerOptions {
  /** `api` or `worker`: every line says which process wrote it. */
  service: string;
  level: LogLevel;
  /** Human-readable lines through pino-pretty (a dev dependency); JSON when it is not installed. */
  pretty?: boolean;
  /** Where lines go; stdout by default. Tests pass a memory stream. */
  destination?: DestinationStream;
}

/** The process's root logger: one JSON object per line, ISO time, level names, secrets and content redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? (options.pretty ? prettyStream() : undefined) ?? pino.destination({ fd: 1, sync: true });
  return pino(
    {
      level: options.level,
      base: { service: options.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    destination,
  );
}

/**
 * A logger for lines built only from ids, route patterns, statuses and timings (the one line per request):
 * same stream, level and format as `log`, without the redaction walk. pino checks its wildcard redact paths on
 * every line, which was a third of the API's time on a cheap GET (bench/RESULTS.md, issues-get profile).
 */
export function withoutRedaction(log: Logger): Logger {
  const service = (log.bindings() as { service?: string }).service;
  return pino(
    {
      level: log.level,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    (log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym],
  );
}

/** pino-pretty is a dev dependency: the production image does not have it, and then the output stays JSON. */
function prettyStream(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only if present (a dev dependency)
    const build = require('pino-pretty') as (options: object) => DestinationStream;
    return build({
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,context',
      messageFormat: '{if context}[{context}] {end}{msg}',
    });
  } catch {
    return undefined;
  }
}

/** The variables (validated in libs/config BaseConfig) that shape a process's logger. */
export interface LogSettings {
  NODE_ENV: string;
  TFTSR_LOG_LEVEL?: LogLevel;
  TFTSR_LOG_PRETTY?: '0' | '1';
}

/**
 * The root logger from the configuration. Level: TFTSR_LOG_LEVEL, else info (warn under NODE_ENV=test, so a
 * test run's output stays readable). Pretty: TFTSR_LOG_PRETTY=1/0, else only when NODE_ENV=development.
 */
export function loggerFor(service: string, settings: LogSettings): Logger {
  return createLogger({
    service,
    level: settings.TFTSR_LOG_LEVEL ?? (settings.NODE_ENV === 'test' ? 'warn' : 'info'),
    pretty: settings.TFTSR_LOG_PRETTY === undefined ? settings.NODE_ENV === 'development' : settings.TFTSR_LOG_PRETTY === '1',
  });
}

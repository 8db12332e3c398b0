import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/** Nest's start-up chatter (one line per module and route): useful when debugging, noise otherwise. */
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

const FROM_NEST: Record<NestLogLevel, Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * Nest's LoggerService over pino, so that every `new Logger('Context').warn(...)` in the code base becomes a
 * JSON line with `context`. A message may be an object (`{ msg, ...fields }`): its fields become the line's
 * fields, and go through the same redaction.
 */
export class PinoNestLogger implements LoggerService {
  constructor(readonly root: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest's `Logger.overrideLogger(['error', 'warn'])`: the most verbose level named becomes pino's level. */
  setLogLevels(levels: NestLogLevel[]): void {
    const order: Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const lowest = levels.map((l) => FROM_NEST[l]).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
    this.root.level = lowest ?? 'silent';
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const { context, stack, rest } = splitParams(level, params);
    const effective = level === 'info' && context !== undefined && FRAMEWORK_CONTEXTS.has(context) ? 'debug' : level;
    if (!this.root.isLevelEnabled(effective)) return;
    const fields: Record<string, unknown> = {};
    let msg: string;
    if (message instanceof Error) {
      fields.err = message;
      msg = message.message;
    } else if (message !== null && typeof message === 'object') {
      const { msg: given, message: alt, ...own } = message as Record<string, unknown>;
      Object.assign(fields, own);
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a caller's msg field, as text whatever its type
      msg = String(given ?? alt ?? '');
    } else {
      msg = String(message);
    }
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    const err = rest.find((p): p is Error => p instanceof Error);
    if (err && !fields.err) fields.err = err;
    this.root[effective](fields, msg);
  }
}

/**
 * Nest appends the context as the last string argument; `error` also passes a stack (or undefined) before it.
 * A lone string after an error message is a stack when it looks like one, as Nest's ConsoleLogger decides.
 */
function splitParams(level: Level, params: unknown[]): { context?: string; stack?: string; rest: unknown[] } {
  const rest = [...params];
  let context: string | undefined;
  let stack: string | undefined;
  const last = rest[rest.length - 1];
  const isError = level === 'error' || level === 'fatal';
  if (typeof last === 'string' && !(isError && rest.length === 1 && looksLikeStack(last))) {
    context = last;
    rest.pop();
  }
  if (isError && (typeof rest[0] === 'string' || rest[0] === undefined) && rest.length > 0) {
    stack = rest.shift() as string | undefined;
  }
  return { context, stack, rest };
}

function looksLikeStack(text: string): boolean {
  return /\n\s+at /.test(text);
}

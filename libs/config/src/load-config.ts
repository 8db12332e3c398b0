import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import type { ValidationError } from 'class-validator';
import { validateSync } from 'class-validator';

export type Env = Record<string, string | undefined>;

/** Thrown once with every bad variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * One message per bad variable: `PORT=abc` is not an integer, and saying also that it is neither at most 65535
 * nor at least 0 only buries that. class-validator lists constraints in reverse order of the decorators, and
 * the first decorator is the basic check (type or format), so it is the last one listed.
 */
function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => {
    const messages = Object.values(e.constraints ?? {});
    return messages.length > 0 ? [`${e.property}: ${messages[messages.length - 1]}`] : [];
  });
}

/**
 * Secrets that may instead be given as a file (Docker and Kubernetes secrets): NAME_FILE holds its path. TFTSR_DB_KEY
 * has its own, read when the key is needed (base.config.ts).
 */
export const FILE_SECRETS = [
  'TFTSR_BOOTSTRAP_API_KEY',
  'TFTSR_AI_API_KEY',
  'REDIS_URL',
  'TFTSR_S3_SECRET_ACCESS_KEY',
  'TFTSR_REDIS_PASSWORD',
  'TFTSR_REDIS_SENTINEL_PASSWORD',
  'TFTSR_BLOB_KEY',
] as const;

export type FileSecret = (typeof FILE_SECRETS)[number];

/** NAME's value, from NAME or from the file NAME_FILE names (trimmed), or a problem that never holds the secret. */
function fileSecret(env: Env, name: FileSecret): { value: string | undefined } | { problem: string } {
  const file = env[`${name}_FILE`];
  if (file === undefined) return { value: env[name] };
  if (env[name] !== undefined) return { problem: `${name} and ${name}_FILE are both set: choose one` };
  try {
    return { value: readFileSync(file, 'utf8').trim() };
  } catch (err) {
    return { problem: `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

/** Puts each NAME_FILE's content (trimmed) in NAME; returns the problems, never a secret. */
function readFileSecrets(env: Env): string[] {
  const problems: string[] = [];
  for (const name of FILE_SECRETS) {
    const read = fileSecret(env, name);
    if ('problem' in read) problems.push(read.problem);
    else if (read.value !== undefined) env[name] = read.value;
  }
  return problems;
}

/**
 * One secret as the apps would read it, for code that does not validate a whole config (the launcher): NAME, else
 * the content of NAME_FILE; undefined when neither is set. Empty strings count as unset; a problem is a ConfigError.
 */
export function readSecret(env: Env, name: FileSecret): string | undefined {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const read = fileSecret(present, name);
  if ('problem' in read) throw new ConfigError([read.problem]);
  return read.value;
}

/**
 * Validates `env` against a config class whose properties are named after the variables.
 * Unknown variables are ignored; empty strings count as unset.
 */
export function loadConfig<T extends object>(cls: new () => T, env: Env): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const fileProblems = readFileSecrets(present);
  const config = plainToInstance(cls, present, { exposeDefaultValues: true });
  const problems = [...fileProblems, ...describe(validateSync(config, { whitelist: false, forbidUnknownValues: true }))];
  const extra = (config as { crossCheck?: () => string[] }).crossCheck?.() ?? [];
  if (problems.length + extra.length > 0) throw new ConfigError([...problems, ...extra]);
  return config;
}

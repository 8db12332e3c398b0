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
] as const;

/** Puts each NAME_FILE's content (trimmed) in NAME; returns the problems, never a secret. */
function readFileSecrets(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const name of FILE_SECRETS) {
    const file = env[`${name}_FILE`];
    if (file === undefined) continue;
    if (env[name] !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set: choose one`);
      continue;
    }
    try {
      env[name] = readFileSync(file, 'utf8').trim();
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  return problems;
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

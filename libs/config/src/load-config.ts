import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export type Env = Record<string, string | undefined>;

/** Thrown once with every bad variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) => Object.values(e.constraints ?? {}).map((msg) => `${e.property}: ${msg}`));
}

/**
 * Validates `env` against a config class whose properties are named after the variables.
 * Unknown variables are ignored; empty strings count as unset.
 */
export function loadConfig<T extends object>(cls: new () => T, env: Env): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(cls, present, { exposeDefaultValues: true });
  const problems = describe(validateSync(config, { whitelist: false, forbidUnknownValues: true }));
  const extra = (config as { crossCheck?: () => string[] }).crossCheck?.() ?? [];
  if (problems.length + extra.length > 0) throw new ConfigError([...problems, ...extra]);
  return config;
}

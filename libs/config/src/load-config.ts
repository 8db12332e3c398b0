import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

export type Env = Record<string, string | undefined>;

/** Thrown once with every bad variable, so an operator fixes them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? `invalid configuration: ${problems[0]}` : `invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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

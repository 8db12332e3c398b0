import type { ConfigError } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';

/** What BaseConfig says about `env`: every problem at once, or [] when it loads. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(BaseConfig, env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

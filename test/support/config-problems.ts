import { BaseConfig } from '../../libs/config/src/base.config';
import type { ConfigError} from '../../libs/config/src/load-config';
import { loadConfig } from '../../libs/config/src/load-config';

/** What BaseConfig says about `env`: every problem at once, or [] when it loads. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(BaseConfig, env);
    return [];
  } catch (err) {
    return (err as ConfigError).problems;
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SERVICE_PACKAGE_NAME = 'tftsr-service';

/**
 * The service's root package, found by walking up from `from`: the same from the sources (ts-jest) and from dist/.
 * It is the package.json named tftsr-service, not the first one found: every workspace (apps/api, libs/cli, …) has
 * its own. Kept free of other imports, so the CLI's start-up path can load it.
 */
export function findServicePackage(from: string): { dir: string; version?: string } | undefined {
  for (let dir = from; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === SERVICE_PACKAGE_NAME) return { dir, version: pkg.version };
  }
  return undefined;
}

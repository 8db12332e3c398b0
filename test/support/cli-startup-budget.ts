/**
 * What the CLI's light commands (help, version, `pii scan`) must not load, shared by the system test that runs the
 * compiled CLI (test/system/cli-startup.spec.ts) and the architecture test that reads its sources
 * (test/architecture/cli-startup-imports.spec.ts).
 */

/** Packages only the service (or a database command) needs: none of them may load to print help or scan a file. */
export const HEAVY_PACKAGES = [
  'sanitize-html',
  'markdown-it',
  'class-validator',
  'class-transformer',
  'undici',
  'better-sqlite3-multiple-ciphers',
  'ioredis',
  'bullmq',
  '@nestjs/common',
  'pino',
  'sharp',
  'reflect-metadata',
  // Ids for new rows (21 modules, 7–100 ms here): only commands that write rows need it.
  'uuid',
  // The custom-rule engine: `pii scan` has no custom rules, so it never needs it.
  're2js',
];

/** The service's own code that only the database commands use, as module paths from the repository root. */
export const SERVICE_CODE = [
  'libs/db/src/database',
  'libs/db/src/index',
  'libs/config/src/index',
  'libs/storage/src/index',
  'apps/cli/src/import/desktop-importer',
];

/** The PII engine: `pii scan` loads it, nothing else on the start-up path may. */
export const ENGINE = 'libs/pii/src/scanner';

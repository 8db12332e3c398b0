const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

/**
 * Three tiers, each runnable alone (`npm run test:unit|e2e|system`); `npm test` runs all three, every file once.
 * - unit: `*.spec.ts` beside the code, the architecture rules (test/architecture) and the test fakes' own spec.
 *   No Redis, no built `dist/`.
 * - e2e: the real API (and worker) over HTTP: test/e2e, the browser tests, and the security suite.
 * - system: test/medium (services against real Redis and SQLite) and test/system (processes, faults, the CLI).
 * `@tftsr/*` resolves to the TypeScript sources through tsconfig's paths, never to the compiled dist/ that the
 * workspace packages' `exports` name for plain node.
 */
const base = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  testTimeout: 60_000,
};

module.exports = {
  maxWorkers: 2,
  testTimeout: 60_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,scripts,bench}/**/*.spec.ts', '<rootDir>/test/{architecture,support}/**/*.spec.ts'],
    },
    { ...base, displayName: 'e2e', testMatch: ['<rootDir>/test/{e2e,browser}/**/*.e2e-spec.ts', '<rootDir>/test/security/**/*.spec.ts'] },
    { ...base, displayName: 'system', testMatch: ['<rootDir>/test/{medium,system}/**/*.spec.ts'] },
  ],
};

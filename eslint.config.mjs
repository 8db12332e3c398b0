// Lint for the whole tree: `npm run lint` (zero warnings allowed). Formatting is Prettier's job (`npm run format`),
// so no stylistic rule lives here.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A stream's .pipe() passes neither an error nor a premature close on: the reader of the destination then waits
// forever (an upload cut short held its Idempotency-Key for good). stream.pipeline does both. The few deliberate uses
// (rxjs' pipe, a pipe with its own error handling) say why beside a disable comment.
const NO_PIPE = {
  selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='pipe']",
  message: 'Use stream.pipeline (or pipeline from node:stream/promises): .pipe() drops errors and premature closes.',
};

// See the block for apps/api and apps/worker below.
const WRITE_THROUGH_GROUP =
  'Write through the GroupCommit (group.run): a plain transaction blocks the event loop while another process holds the write lock.';
const NO_PLAIN_TRANSACTION = {
  name: '@tftsr/db',
  importNames: ['transaction'],
  message: WRITE_THROUGH_GROUP,
};

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bench/out/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        // Each file is checked against the nearest tsconfig.json: the root one, or apps/web's for the browser app.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The three rules issue 14 asks for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Type-only imports are erased. The rule reads emitDecoratorMetadata from tsconfig.json, so a class that Nest
      // injects through a constructor parameter stays a value import.
      '@typescript-eslint/consistent-type-imports': 'error',
      // `async` without `await` is deliberate here: Nest hooks and interface methods return a promise, and a throw in
      // them must become a rejection rather than a synchronous exception.
      '@typescript-eslint/require-await': 'off',
      // The sanitizers match control characters on purpose (terminal escapes, NUL); that is what this rule forbids.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-syntax': ['error', NO_PIPE],
    },
  },
  {
    // The web app's CSP has no 'unsafe-eval'. Playwright's waitForFunction retries its predicate with an in-page
    // eval on later frames, so it fails as soon as the first try is false (CI once failed on it). Retry from the
    // test instead: waitFor() around page.evaluate, whose every call comes from DevTools and is let through.
    files: ['test/browser/**', 'test/support/browser.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        NO_PIPE,
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='waitForFunction']",
          message: "The web app's CSP refuses waitForFunction's in-page eval: poll with waitFor() and page.evaluate.",
        },
      ],
    },
  },
  {
    // Both processes write through their GroupCommit, which waits for a write lock the other process holds without
    // stopping the event loop. A plain transaction sleeps in SQLite's busy handler on the event loop for up to the
    // busy timeout: health checks, lock renewals and every other request wait with it. The few plain writes left
    // (start-up work, before anything waits on the loop) say why beside a disable comment.
    files: ['apps/api/src/**/*.ts', 'apps/worker/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_PLAIN_TRANSACTION] }],
      'no-restricted-syntax': [
        'error',
        NO_PIPE,
        {
          selector: "CallExpression[callee.object.property.name='tx'][callee.property.name='write']",
          message: WRITE_THROUGH_GROUP,
        },
      ],
    },
  },
  {
    // Every POST takes an Idempotency-Key: apps/api's POST routes use the Post of idempotency/post.decorator.ts,
    // which carries the interceptor (a global one made every GET pay for Nest's interceptor chain).
    files: ['apps/api/src/**/*.ts'],
    ignores: ['apps/api/src/idempotency/post.decorator.ts', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            NO_PLAIN_TRANSACTION,
            {
              name: '@nestjs/common',
              importNames: ['Post'],
              message: 'Use Post from apps/api/src/idempotency/post.decorator: it carries the Idempotency-Key interceptor.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests and the bench harness read untyped HTTP and JSON bodies and assert on them: `any` there is the point,
    // not a leak. Promise rules stay on, because a floating promise in a test is an assertion that never runs.
    files: ['test/**', 'bench/**', '**/*.spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(obj.method).toHaveBeenCalled() passes a method unbound, harmlessly.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Vite's config is in no tsconfig (apps/web's has no Node types): checked without type information.
    files: ['apps/web/vite.config.mts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
);

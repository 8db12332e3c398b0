import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { ENGINE, HEAVY_PACKAGES, SERVICE_CODE } from '../support/cli-startup-budget';

/**
 * The CLI's start-up path is apps/cli/src/main.ts and every module it imports statically, transitively: what node
 * loads before any action runs. Actions load the rest with `import()`, which is not followed, and `import type` is
 * erased. test/system/cli-startup.spec.ts runs the compiled CLI and lists what it loaded; this reads the sources, so
 * an index import (`@tftsr/db` where `@tftsr/db/repositories/api-key.repository` would do) fails at once, naming the
 * chain of imports that reaches it.
 */
const ROOT = join(__dirname, '..', '..');
const START = 'apps/cli/src/main';

/** `@tftsr/x` and `@tftsr/x/*` to repository paths, from tsconfig.json's `paths`, as TypeScript and jest resolve them. */
const PATHS = Object.entries(
  (JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } })
    .compilerOptions.paths,
).map(([pattern, [target]]) => ({ pattern, target: posix.normalize(target) }));

/** The module paths (repository-relative, no extension) and packages that one source file imports at run time. */
function runtimeImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            bindings !== undefined &&
            ts.isNamedImports(bindings) &&
            bindings.elements.length > 0 &&
            bindings.elements.every((e) => e.isTypeOnly)));
      if (!onlyTypes) specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
      specifiers.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return specifiers.flatMap((specifier) => resolve(file, specifier));
}

const asModule = (path: string): string | undefined =>
  [`${path}.ts`, `${path}.tsx`, `${path}/index.ts`].find((f) => existsSync(join(ROOT, f)))?.replace(/\.tsx?$/, '');

/** A repository module path (no extension), `package:<name>` for a package, nothing for node's own modules. */
function resolve(from: string, specifier: string): string[] {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return [];
  if (specifier.startsWith('.')) return [found(asModule(posix.join(posix.dirname(from), specifier)), from, specifier)];
  for (const { pattern, target } of PATHS) {
    const wildcard = pattern.endsWith('/*') ? pattern.slice(0, -1) : undefined;
    if (wildcard !== undefined && specifier.startsWith(wildcard)) {
      return [found(asModule(target.replace('*', specifier.slice(wildcard.length))), from, specifier)];
    }
    if (specifier === pattern) return [found(asModule(target), from, specifier)];
  }
  const parts = specifier.split('/');
  return [`package:${specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]}`];
}

function found(module: string | undefined, from: string, specifier: string): string {
  if (module === undefined) throw new Error(`${from}: cannot resolve ${specifier}`);
  return module;
}

/** Every module and package reachable from `start`, each with the chain of imports that first reached it. */
function startUpPath(start: string): Map<string, string[]> {
  const reached = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  for (let module = queue.shift(); module !== undefined; module = queue.shift()) {
    if (module.startsWith('package:')) continue;
    const file = [`${module}.ts`, `${module}.tsx`].find((f) => existsSync(join(ROOT, f))) ?? `${module}.ts`;
    for (const next of runtimeImports(file, readFileSync(join(ROOT, file), 'utf8'))) {
      if (reached.has(next)) continue;
      reached.set(next, [...(reached.get(module) ?? []), next]);
      queue.push(next);
    }
  }
  return reached;
}

const chains = (reached: Map<string, string[]>, bad: (module: string) => boolean) =>
  [...reached.entries()].filter(([module]) => bad(module)).map(([, chain]) => chain.join(' -> '));
const isHeavy = (module: string) => HEAVY_PACKAGES.some((p) => module === `package:${p}`);
const isServiceCode = (module: string) => SERVICE_CODE.includes(module);

describe('the CLI start-up path', () => {
  const reached = startUpPath(START);

  it('reaches the command tree and the parser, so the rules below guard something', () => {
    expect([...reached.keys()]).toEqual(
      expect.arrayContaining([
        'apps/cli/src/commands/keys.command',
        'apps/cli/src/commands/db.command',
        'libs/cli/src/index',
        'package:commander',
      ]),
    );
  });

  it('imports no heavy package (import it in an *.actions.ts module, loaded when the command runs)', () => {
    expect(chains(reached, isHeavy)).toEqual([]);
  });

  it("imports no package index that only the database commands need (import the module itself: '@tftsr/db/…')", () => {
    expect(chains(reached, isServiceCode)).toEqual([]);
  });

  it('does not import the PII engine, which only `pii scan` loads', () => {
    expect(chains(reached, (m) => m === ENGINE)).toEqual([]);
  });

  it('would see an index import: an action module reaches the database through it, named by its chain', () => {
    const fromAction = startUpPath('apps/cli/src/commands/keys.actions');
    expect(chains(fromAction, isServiceCode)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^apps\/cli\/src\/commands\/keys\.actions -> .*libs\/db\/src\/index/)]),
    );
    expect(chains(fromAction, isHeavy)).toEqual(
      expect.arrayContaining([expect.stringMatching(/package:better-sqlite3-multiple-ciphers$/)]),
    );
  });

  it('follows neither `import type` nor `import()`', () => {
    const text = [
      "import type { Env } from '@tftsr/config';",
      "import { type Db } from '@tftsr/db';",
      "import { Command, type Exit } from '@tftsr/cli';",
      "export { processIo } from './cli-io';",
      "const lazy = () => import('@tftsr/db');",
    ].join('\n');
    expect(runtimeImports('apps/cli/src/main.ts', text)).toEqual(['libs/cli/src/index', 'apps/cli/src/cli-io']);
  });
});

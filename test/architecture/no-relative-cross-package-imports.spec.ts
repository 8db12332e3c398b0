import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * A package is apps/<x> or libs/<x>; everything else (test/, bench/, scripts/, bin/) is the root package.
 * Code reaches another package by its name (@tftsr/db, @tftsr/api/...), never by climbing out with `../`.
 * See docs/ARCHITECTURE.md (Packages and imports).
 */
const ROOT = join(__dirname, '..', '..');
const SCANNED = ['apps', 'libs', 'test', 'bench', 'scripts', 'bin'];
const SOURCE = /\.(ts|tsx|mts|cts|js|cjs|mjs)$/;
/** The specifier of `import/export ... from`, `import '...'`, `import(...)`, `require(...)`, `require.resolve(...)`, `jest.fn(...)`. */
const BEFORE_SPECIFIER = [
  /\bfrom\s*/,
  /\bimport\s*\(\s*/,
  /\bimport\s+/,
  /\brequire\s*\(\s*/,
  /\brequire\.resolve\s*\(\s*/,
  /\bjest\.\w+\s*\(\s*/,
];
const SPECIFIER = new RegExp(`(?:${BEFORE_SPECIFIER.map((r) => r.source).join('|')})(['"])([^'"\\n]+)\\1`, 'g');

interface Import {
  file: string;
  line: number;
  specifier: string;
}

function packageOf(path: string): string {
  const parts = path.split('/');
  return parts.length > 2 && (parts[0] === 'apps' || parts[0] === 'libs') ? parts.slice(0, 2).join('/') : '';
}

/** Source files below `dir`, repo-relative; symlinks (each package's dist link) and build output are not followed. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function importsIn(file: string, text: string): Import[] {
  return [...text.matchAll(SPECIFIER)].map((m) => ({ file, line: text.slice(0, m.index).split('\n').length, specifier: m[2] }));
}

/** Imports whose relative path leaves the importing file's package. */
function climbingOut(imports: Import[]): Import[] {
  return imports.filter(({ file, specifier }) => {
    if (!specifier.startsWith('./') && !specifier.startsWith('../')) return false;
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    return packageOf(target) !== packageOf(file);
  });
}

const show = ({ file, line, specifier }: Import) => `${file}:${line}: ${specifier}`;

describe('imports across packages', () => {
  const all = SCANNED.flatMap((dir) => sourceFiles(dir)).flatMap((file) => importsIn(file, readFileSync(join(ROOT, file), 'utf8')));

  it('scans the tree it guards', () => {
    expect(new Set(all.map((i) => i.file.split('/')[0]))).toEqual(new Set(SCANNED));
    expect(all.filter((i) => i.specifier.startsWith('@tftsr/')).length).toBeGreaterThan(300);
  });

  it('never climb out of their package with ../ (import @tftsr/<package> instead)', () => {
    expect(climbingOut(all).map(show)).toEqual([]);
  });

  it('reach @tftsr/test-support only from specs, which are never compiled into dist/', () => {
    const compiled = all.filter((i) => i.specifier.startsWith('@tftsr/test-support') && !/\.(e2e-)?spec\.ts$/.test(i.file));
    expect(compiled.map(show)).toEqual([]);
  });

  it('tell a climbing import from one that stays in its package, naming file and line', () => {
    const file = 'apps/api/src/issues/issues.service.ts';
    const text = [
      "import { Db } from '../../../../libs/db/src';",
      "import { IssuesDto } from './issues.dto';",
      "import { DomainError } from '../common/domain-error';",
      "const later = () => import('../../../worker/src/pii-settings');",
    ].join('\n');
    expect(climbingOut(importsIn(file, text)).map(show)).toEqual([
      `${file}:1: ../../../../libs/db/src`,
      `${file}:4: ../../../worker/src/pii-settings`,
    ]);
    expect(climbingOut(importsIn('test/e2e/issues.e2e-spec.ts', "import { x } from '../support/api-harness';"))).toEqual([]);
  });
});

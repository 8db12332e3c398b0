import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every test file belongs to exactly one tier: a folder that no tier's pattern covers would silently never run. */

const ROOT = join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(join(ROOT, 'jest.config.js')) as { projects: { displayName: string; testMatch: string[] }[] };
// jest matches testMatch with picomatch; the same matcher here, so the answer is jest's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = require('picomatch') as (globs: string[]) => (path: string) => boolean;
const SKIP = new Set(['node_modules', 'dist', '.git']);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return /\.(?:e2e-)?spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('test tiers', () => {
  it('puts every spec file in exactly one tier', () => {
    const files = testFiles(ROOT);
    expect(files.length).toBeGreaterThan(100);
    const misplaced = files.flatMap((file) => {
      const tiers = config.projects.filter((project) => picomatch(project.testMatch.map((glob) => glob.replace('<rootDir>', ROOT)))(file));
      return tiers.length === 1 ? [] : [`${relative(ROOT, file)}: ${tiers.map((t) => t.displayName).join(', ') || 'no tier'}`];
    });
    expect(misplaced).toEqual([]);
  });
});

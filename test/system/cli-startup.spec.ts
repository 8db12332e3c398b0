import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE as ENGINE_MODULE, HEAVY_PACKAGES, SERVICE_CODE as SERVICE_MODULES } from '../support/cli-startup-budget';
import { makeTempDir } from '../support/temp-dir';

const MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

/** Loaded modules are named as in dist/: the shared lists name sources without their extension. */
const SERVICE_CODE = SERVICE_MODULES.map((m) => `${m}.js`);
const ENGINE = `${ENGINE_MODULE}.js`;

/**
 * Runs `tftsr ARGS` in a fresh node (the compiled CLI, as bin/tftsr.js does) and returns every module it
 * loaded, as paths relative to node_modules/ or dist/.
 */
function modulesLoadedBy(args: string[], env: Record<string, string> = {}): { code: number; modules: string[] } {
  const script = `
    const cli = require(${JSON.stringify(MAIN)});
    const io = { out: () => {}, err: () => {} };
    cli.runCli(JSON.parse(process.argv[1]), JSON.parse(process.argv[2]), io).then((code) => {
      const modules = Object.keys(require.cache).map((p) => p.includes('/node_modules/') ? p.slice(p.lastIndexOf('/node_modules/') + 14) : p.replace(/.*\\/dist\\//, ''));
      process.stdout.write(JSON.stringify({ code, modules }));
    });`;
  const child = spawnSync(process.execPath, ['-e', script, JSON.stringify(args), JSON.stringify(env)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  if (child.status !== 0) throw new Error(`the CLI child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { code: number; modules: string[] };
}

const packagesIn = (modules: string[]) => HEAVY_PACKAGES.filter((p) => modules.some((m) => m.startsWith(`${p}/`)));
const serviceCodeIn = (modules: string[]) => SERVICE_CODE.filter((f) => modules.includes(f));

describe('tftsr start-up: each command loads only what it uses', () => {
  it.each([
    [['--help']],
    [['--version']],
    [['db', '--help']],
    [['keys', 'create', '--help']],
    [['import', 'desktop', '--help']],
    [['issues', 'purge', '--help']],
  ])('%j loads no service code, no heavy package and not the PII engine', (args) => {
    const { code, modules } = modulesLoadedBy(args);
    expect(code).toBe(0);
    expect(packagesIn(modules)).toEqual([]);
    expect(serviceCodeIn(modules)).toEqual([]);
    expect(modules).not.toContain(ENGINE);
  });

  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  it('`pii scan FILE --json` loads the PII engine and nothing of the service', () => {
    const file = join(temp.dir, 'app.log');
    writeFileSync(file, 'login jane.doe@example.org from 203.0.113.45\n');
    const { code, modules } = modulesLoadedBy(['pii', 'scan', file, '--json']);
    expect(code).toBe(0);
    expect(modules).toContain(ENGINE);
    expect(packagesIn(modules)).toEqual([]);
    expect(serviceCodeIn(modules)).toEqual([]);
  });

  it('a database command still loads what it uses: the checks above would see it', () => {
    const { code, modules } = modulesLoadedBy(['db', 'status'], { TFTSR_DATA_DIR: temp.dir });
    expect(code).toBe(0);
    expect(packagesIn(modules)).toEqual(expect.arrayContaining(['better-sqlite3-multiple-ciphers', 'class-validator', 'reflect-metadata']));
    expect(serviceCodeIn(modules)).toEqual(expect.arrayContaining(['libs/db/src/index.js', 'libs/config/src/index.js']));
  });
});

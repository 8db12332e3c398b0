import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildProgram, runCli } from '@tftsr/cli-app/main';
import type { Command } from '@tftsr/cli';
import { commandPath, commandTree } from '@tftsr/cli';
import { AuditLogRepository, deriveKey, loadMigrations, migrate, openDatabase, transaction } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

const CLI = join(__dirname, '..', '..', 'bin', 'tftsr.js');
const { version } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };

/** Every file under `dir` with its hash, size and mtime: any write, new file or removal changes it. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        files[relative(dir, path)] = `${createHash('sha256').update(readFileSync(path)).digest('hex')} ${stat.size} ${stat.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return files;
}

/** A data directory as the apps leave it: a migrated database in WAL mode with rows and an audit chain, and a log file. */
function seedDataDir(dir: string, key: string | null): void {
  const db = openDatabase({ path: join(dir, 'tftsr.db'), key });
  migrate(db, loadMigrations());
  const audit = new AuditLogRepository(db, deriveKey(key, 'audit-hmac'));
  transaction(db, () => {
    db.prepare(
      `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 'Checkout 502s', 'high', 'open', 'x', 'x')`,
    ).run();
    audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: 'i1' });
  });
  db.close();
  writeFileSync(join(dir, 'app.log'), 'login jane.doe@example.org from 203.0.113.45\n');
}

/**
 * The arguments a real run of `command` would get, all pointing into the data directory, and every flag it
 * takes: so a command that acted before looking at --help would find real files to touch.
 */
function realisticArgs(command: Command, dir: string): string[] {
  const args = command.registeredArguments.filter((a) => a.required).map(() => join(dir, 'app.log'));
  for (const option of command.options) {
    if (option.required || option.optional) {
      if (option.mandatory || option.long === '--new-key-file')
        args.push(option.long as string, join(dir, option.long === '--older-than' ? '1' : 'out.log'));
    } else if (option.long !== '--help' && option.long !== '--version') args.push(option.long as string);
  }
  return args;
}

function capture() {
  const lines: string[] = [];
  return { io: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) }, text: () => lines.join('\n') };
}

const commands = commandTree(buildProgram({}, capture().io, () => undefined));

describe('tftsr --help and -h', () => {
  const data: Record<'encrypted' | 'plain', ReturnType<typeof makeTempDir>> = {} as never;
  const env = (which: 'encrypted' | 'plain') => ({
    TFTSR_DATA_DIR: data[which].dir,
    ...(which === 'encrypted' ? { TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: 'a brand new passphrase' } : {}),
  });

  beforeAll(() => {
    data.encrypted = makeTempDir('tftsr-help-enc-');
    data.plain = makeTempDir('tftsr-help-plain-');
    seedDataDir(data.encrypted.dir, TEST_KEY);
    seedDataDir(data.plain.dir, null);
  });
  afterAll(() => {
    data.encrypted.remove();
    data.plain.remove();
  });

  it('covers the whole program: every group and every command in it', () => {
    const paths = commands.map((c) => commandPath(c).join(' '));
    expect(paths).toEqual(
      expect.arrayContaining(['', 'db', 'db encrypt', 'db migrate', 'db restore', 'keys create', 'issues purge', 'pii scan', 'pii redact']),
    );
    expect(paths.length).toBeGreaterThan(15);
  });

  describe.each(['encrypted', 'plain'] as const)('on a data directory with a %s database', (which) => {
    it.each(commands.flatMap((c) => ['--help', '-h'].map((flag) => [commandPath(c).join(' ') || '(tftsr)', flag, c] as const)))(
      '%s %s prints its usage, exits 0 and changes no file',
      async (_name, flag, command) => {
        const dir = data[which].dir;
        const before = snapshot(dir);
        const path = commandPath(command);
        for (const argv of [
          [...path, flag],
          [...path, ...realisticArgs(command, dir), flag],
        ]) {
          const run = capture();
          expect({ argv, code: await runCli(argv, env(which), run.io) }).toEqual({ argv, code: 0 });
          expect(run.text()).toContain(`Usage: ${['tftsr', ...path].join(' ')} `);
          expect(snapshot(dir)).toEqual(before);
        }
      },
    );
  });

  it('db encrypt --help, in the real process on a plain database, neither encrypts it nor leaves a backup', () => {
    const before = snapshot(data.plain.dir);
    const run = spawnSync(process.execPath, [CLI, 'db', 'encrypt', '--help'], {
      env: { PATH: process.env.PATH ?? '', ...env('encrypted'), TFTSR_DATA_DIR: data.plain.dir },
    });
    expect(run.status).toBe(0);
    expect(run.stdout.toString()).toContain('Usage: tftsr db encrypt');
    expect(snapshot(data.plain.dir)).toEqual(before);
  });

  it('--version prints the package version and exits 0', () => {
    const run = spawnSync(process.execPath, [CLI, '--version'], { env: { PATH: process.env.PATH ?? '' } });
    expect({ status: run.status, out: run.stdout.toString().trim() }).toEqual({ status: 0, out: version });
  });

  it.each([
    [['nope'], /unknown command 'nope'/],
    [['db', 'nope'], /unknown command 'nope'/],
    [['db', 'migrate', '--bogus'], /unknown option '--bogus'/],
    [['db', 'backup'], /missing required argument 'dest'/],
    [['keys', 'create', '--name', 'x'], /required option '--scopes <list>' not specified/],
  ])('%j is a usage error: exit code 2 and the usage, no file changed', async (argv, message) => {
    const before = snapshot(data.encrypted.dir);
    const run = capture();
    expect(await runCli(argv, env('encrypted'), run.io)).toBe(2);
    expect(run.text()).toMatch(message);
    expect(run.text()).toContain('Usage: tftsr');
    expect(snapshot(data.encrypted.dir)).toEqual(before);
  });
});

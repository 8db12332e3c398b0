import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { ProcessLock } from './process-lock';

describe('ProcessLock', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'api.lock');
  });
  afterEach(() => temp.remove());

  /** Another process tries the lock: 'held' when it got it (and holds it until killed), else 'busy'. */
  const other = (holdMs = 0) => {
    const script = `
      const Database = require('better-sqlite3-multiple-ciphers');
      const db = new Database(${JSON.stringify(path)}, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      try { db.exec('BEGIN EXCLUSIVE'); console.log('held'); setTimeout(() => {}, ${holdMs}); }
      catch (e) { console.log(e.code === 'SQLITE_BUSY' ? 'busy' : e.message); }`;
    const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    const said = new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    return { child, said };
  };

  it('is held by one process at a time, until released', async () => {
    const lock = ProcessLock.tryAcquire(path);
    expect(lock).not.toBeNull();
    // Private, as everything under the data directory, and alone: no journal beside it.
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    expect(readdirSync(temp.dir)).toEqual(['api.lock']);
    expect(ProcessLock.tryAcquire(path)).toBeNull();
    expect(await other().said).toBe('busy');
    lock!.release();
    const again = ProcessLock.tryAcquire(path);
    expect(again).not.toBeNull();
    again!.release();
  });

  it('is free again once its holder is SIGKILLed: nothing to clean up after a crash', async () => {
    const holder = other(60_000);
    expect(await holder.said).toBe('held');
    expect(ProcessLock.tryAcquire(path)).toBeNull();
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');
    const lock = ProcessLock.tryAcquire(path);
    expect(lock).not.toBeNull();
    lock!.release();
  });
});

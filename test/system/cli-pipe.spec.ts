import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/temp-dir';

const BIN = join(__dirname, '..', '..', 'bin', 'tftsr.js');

/**
 * `tftsr pii scan FILE | head -1`: a reader that stops early closes the pipe (EPIPE). Like any Unix filter, the
 * tool stops quietly and exits 0, instead of dying with a stack trace.
 */
describe('tftsr writing into a pipe that its reader closed', () => {
  const temp = makeTempDir('cli-pipe');
  afterAll(() => temp.remove());

  it('stops quietly with exit 0 once the reader has gone', async () => {
    const file = join(temp.dir, 'many.log');
    // Far more output than a pipe holds (64 KiB), so the tool is still writing when the reader goes.
    const lines = Array.from({ length: 50_000 }, (_, i) => `2026-12-07 10:00:00 INFO login user${i}@example.org from 10.0.${i % 250}.1`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const child = spawn(process.execPath, [BIN, 'pii', 'scan', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    child.stdout.destroy();
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(JSON.parse(first.toString().split('\n')[0])).toEqual(expect.objectContaining({ pii_type: 'Email', start: 31, end: 48 }));
    expect({ code, stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(/EPIPE|Error|at /) });
  });
});

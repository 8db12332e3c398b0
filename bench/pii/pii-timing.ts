import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync } from 'node:fs';
import { scanStream } from '@tftsr/pii/scanner';

const MiB = 2 ** 20;

/** The engine as the worker streams a file through it: every span is pulled, counted and dropped. */
export async function streamScan(path: string): Promise<{ seconds: number; spans: number }> {
  const t = process.hrtime.bigint();
  let spans = 0;
  for await (const _ of scanStream(createReadStream(path, { highWaterMark: MiB }))) spans++;
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, spans };
}

/**
 * `node bin/tftsr.js pii scan path --json > /dev/null`, timed from spawn to exit; the span count comes from the
 * summary on stderr. `command` may wrap it (taskset).
 */
export function cliScanSeconds(
  bin: string,
  path: string,
  command: (cmd: string, args: string[]) => [string, string[]] = (c, a) => [c, a],
): { seconds: number; spans: number } {
  const devnull = openSync('/dev/null', 'w');
  const [cmd, args] = command(process.execPath, [bin, 'pii', 'scan', path, '--json']);
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  closeSync(devnull);
  const stderr = r.stderr?.toString() ?? '';
  if (r.status !== 0) throw new Error(`tftsr pii scan failed (${r.status ?? r.signal}): ${stderr || r.error?.message}`);
  return { seconds, spans: Number(/^pii: (\d+) spans? in /m.exec(stderr)?.[1] ?? 0) };
}

/**
 * `rg -o -b -f patterns path > /dev/null`, timed from spawn to exit. `command` may wrap it (taskset).
 * Exit status 1 only means "no match".
 */
export function ripgrepSeconds(
  path: string,
  patterns: string,
  command: (cmd: string, args: string[]) => [string, string[]] = (c, a) => [c, a],
): number {
  const devnull = openSync('/dev/null', 'w');
  const [cmd, args] = command('rg', ['-o', '-b', '-f', patterns, path]);
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', devnull, 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  closeSync(devnull);
  if (r.status !== 0 && r.status !== 1) throw new Error(`rg failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return seconds;
}

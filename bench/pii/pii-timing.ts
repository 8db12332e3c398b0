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

import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import type { MachineInfo } from './results';
import type { ToolStatus } from './tools';

function osName(): string {
  const file = '/etc/os-release';
  const pretty = existsSync(file) ? /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
  return `${pretty ?? process.platform}, kernel ${release()}`;
}

function autocannonVersion(): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: a missing tool only skips its row
    return `autocannon ${(require('autocannon/package.json') as { version: string }).version}`;
  } catch {
    return null;
  }
}

export const loadAverage = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

export function describeMachine(tools: ToolStatus, pinning: boolean, loadAtStart: number[], note: string | null): MachineInfo {
  const cores = availableParallelism();
  return {
    cpu_model: cpus()[0]?.model.trim() ?? 'unknown',
    cores,
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    node: process.version,
    tools: { ...tools.versions, autocannon: autocannonVersion() },
    shared_machine:
      `The load generator, the API, the worker and Redis all run on this ${cores}-core machine: ` +
      'absolute figures move with whatever else runs on it, which is why each row is a ratio to a baseline measured in the same run.',
    pinning,
    load_average_start: loadAtStart,
    load_average_end: loadAverage(),
    note,
  };
}

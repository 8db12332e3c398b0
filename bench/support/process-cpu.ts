import { readFileSync } from 'node:fs';
import { median } from './stats';

/** User + system CPU seconds of a process so far, every thread included: /proc fields 14 and 15, in 1/100 s ticks. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU per request of the servers a row compares, over its counted runs: CPU time moves far less with a shared
 * machine's load than requests per second do, so it says what a change bought when the ratio cannot.
 */
export class CpuPerRequest {
  private readonly perRequest = new Map<string, number[]>();

  /** Runs `load` (a counted run when `run >= 0`) and notes `pid`'s CPU over it against the requests it served. */
  async measure<T extends { requests: number }>(side: string, pid: number, run: number, load: () => Promise<T>): Promise<T> {
    const before = processCpuSeconds(pid);
    const result = await load();
    if (run >= 0 && result.requests > 0) {
      const list = this.perRequest.get(side) ?? [];
      list.push(((processCpuSeconds(pid) - before) / result.requests) * 1e6);
      this.perRequest.set(side, list);
    }
    return result;
  }

  /** `cpu_us_per_request_<side>`: the median over the counted runs, whole process. */
  details(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [side, values] of this.perRequest) out[`cpu_us_per_request_${side}`] = Math.round(median(values));
    return out;
  }
}

import { spawnSync } from 'node:child_process';

/**
 * Core pinning with taskset. Servers go on the first core and the load generator (or the in-process side of a
 * one-core comparison) on the last, so the two do not trade places mid-run. Off when taskset is missing, when
 * --no-pin is given, or on a one-core machine.
 */
export class Pinning {
  readonly serverCpu: string;
  readonly clientCpu: string;

  constructor(
    readonly enabled: boolean,
    private readonly cores: number,
  ) {
    this.serverCpu = '0';
    this.clientCpu = String(cores - 1);
  }

  /** The command line to spawn `cmd` on `cpus` (or unpinned). taskset execs, so the pid is the command's. */
  command(cpus: string, cmd: string, args: string[]): [string, string[]] {
    return this.enabled ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  }

  /** Pins every thread of this process (libuv's pool included) to `cpus` while `fn` runs, then puts it back. */
  async self<T>(cpus: string, fn: () => Promise<T>): Promise<T> {
    if (!this.enabled) return fn();
    const before = currentAffinity() ?? `0-${this.cores - 1}`;
    setAffinity(cpus);
    try {
      return await fn();
    } finally {
      setAffinity(before);
    }
  }

  describe(what: string): string {
    return this.enabled ? what : 'not pinned (taskset missing, --no-pin, or one core)';
  }
}

/** The CPU list this process may run on, as `taskset -p` reports it ("pid 42's current affinity list: 0,1"). */
function currentAffinity(): string | null {
  const r = spawnSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' });
  return r.status === 0 ? (/:\s*(\S+)\s*$/.exec(r.stdout)?.[1] ?? null) : null;
}

function setAffinity(cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} failed: ${r.stderr.trim()}`);
}

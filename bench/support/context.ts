import type { Cleanup } from './cleanup';
import type { Pinning } from './pinning';
import type { RowId, RunPair, Scale } from './results';
import type { Requirement, ToolStatus } from './tools';

export interface BenchOptions {
  quick: boolean;
  /** Where results.json and RESULTS.md go (default: the repository's bench/). */
  outDir: string;
  /** Counted runs per row (warm-ups excluded). */
  runs: number;
  only: RowId[] | null;
  pin: boolean;
  /** Spawned apps run with --cpu-prof into this directory. */
  profileDir: string | null;
  loghubDir: string;
  /** A remark about this run for RESULTS.md, e.g. what else was using the machine. */
  note: string | null;
  /** Variables for the spawned API and worker, over the bench's own (--app-env NAME=VALUE). */
  appEnv: Record<string, string>;
}

export interface BenchContext {
  options: BenchOptions;
  scale: Scale;
  tools: ToolStatus;
  cleanup: Cleanup;
  pinning: Pinning;
  /** This group's own temp dir, removed at the end of the run. */
  scratch: string;
  /** BullMQ prefix unique to this run; every key under it is deleted at the end. */
  queuePrefix: string;
  log(message: string): void;
}

/** What one row measured: the counted runs plus facts worth keeping. */
export interface Measured {
  runs: RunPair[];
  warmups: number;
  pinning: string;
  details: Record<string, string | number>;
}

/**
 * One or more rows that share set-up (a corpus, a running stack). `run` gets the rows whose requirements are
 * met and returns a measurement for each of them.
 */
export interface BenchGroup {
  name: string;
  needs: Partial<Record<RowId, Requirement[]>>;
  run(ctx: BenchContext, rows: ReadonlySet<RowId>): Promise<Partial<Record<RowId, Measured>>>;
}

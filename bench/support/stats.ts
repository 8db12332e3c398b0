import type { RunPair, Spread } from './results';

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile: an observed value, never an interpolation between two. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function spreadOf(xs: readonly number[]): Spread | null {
  return xs.length === 0 ? null : { min: Math.min(...xs), max: Math.max(...xs) };
}

export const seconds = (startedNs: bigint): number => Number(process.hrtime.bigint() - startedNs) / 1e9;

/**
 * Warm-ups first (both sides, discarded), then `runs` pairs with ours and the baseline taking turns, so that a
 * burst of load from elsewhere on a shared machine hits both alike.
 */
export async function alternate(
  warmups: number,
  runs: number,
  ours: (run: number) => Promise<number>,
  baseline?: (run: number) => Promise<number>,
): Promise<RunPair[]> {
  for (let i = 0; i < warmups; i += 1) {
    await ours(-1 - i);
    await baseline?.(-1 - i);
  }
  const pairs: RunPair[] = [];
  for (let i = 0; i < runs; i += 1) {
    const o = await ours(i);
    const b = baseline === undefined ? null : await baseline(i);
    pairs.push({ ours: o, baseline: b });
  }
  return pairs;
}

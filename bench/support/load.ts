/** The slice of autocannon 9's programmatic API the bench uses (the package ships no types). */
interface AutocannonOptions {
  url: string;
  method: 'GET' | 'POST';
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  body?: string;
}

interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  latency: { p50: number; p99: number };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: AutocannonOptions) => Promise<AutocannonResult>;

export interface LoadResult {
  /** 2xx responses per second over the run. */
  rps: number;
  p99Ms: number;
  /** 2xx responses over the run. */
  requests: number;
}

/** One autocannon run; any error, timeout or non-2xx answer makes it fail, so a broken route never counts as fast. */
export async function load(options: AutocannonOptions): Promise<LoadResult> {
  const result = await autocannon(options);
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${options.method} ${options.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`,
    );
  }
  return { rps: result['2xx'] / result.duration, p99Ms: result.latency.p99, requests: result['2xx'] };
}

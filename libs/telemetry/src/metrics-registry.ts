import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A scrape waits at most this long for any one collector: a Redis outage must not hang /metrics. */
export const DEFAULT_COLLECT_TIMEOUT_MS = 1000;

/** Seconds, from 5 ms to a minute: HTTP requests and jobs. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Collector {
  name: string;
  collect: () => unknown;
  timeoutMs: number;
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

/**
 * One prom-client Registry per application, never the global one: several Nest apps in one jest process each
 * get their own. Metrics are get-or-create, so two services asking for the same counter share it.
 * `onScrape` collectors run before each scrape, each bounded by a timeout; a collector that fails or times out
 * leaves its metrics as they were (collectors reset what they cannot measure) and counts a failure.
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly collectors: Collector[] = [];
  private readonly collectFailures: Counter<'collector'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.collectFailures = this.counter('tftsr_metrics_collect_failures_total', 'Scrape-time collectors that failed or timed out.', [
      'collector',
    ]);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.getOrCreate(name, Counter, labelNames, () => new Counter<L>({ name, help, labelNames, registers: [this.registry] }));
  }

  gauge<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return this.getOrCreate(name, Gauge, labelNames, () => new Gauge<L>({ name, help, labelNames, registers: [this.registry] }));
  }

  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], buckets = DURATION_BUCKETS): Histogram<L> {
    return this.getOrCreate(
      name,
      Histogram,
      labelNames,
      () => new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] }),
    );
  }

  /** Runs `collect` before every scrape (e.g. to set gauges from Redis or the database), at most `timeoutMs`. */
  onScrape(name: string, collect: () => unknown, timeoutMs = DEFAULT_COLLECT_TIMEOUT_MS): void {
    this.collectors.push({ name, collect, timeoutMs });
  }

  /**
   * The Prometheus text exposition, after the collectors ran (or timed out). prom-client writes a NaN sample as
   * `Nan` (e.g. the event-loop lag before its first sample); the exposition formats spell it `NaN`, and strict
   * parsers (OpenMetrics) refuse anything else.
   */
  async metrics(): Promise<string> {
    await Promise.all(this.collectors.map((c) => this.runCollector(c)));
    return (await this.registry.metrics()).replace(NAN_SAMPLE, '$1 NaN');
  }

  private async runCollector(collector: Collector): Promise<void> {
    try {
      await withTimeout(Promise.resolve().then(collector.collect), collector.timeoutMs, collector.name);
    } catch {
      this.collectFailures.inc({ collector: collector.name });
    }
  }

  private getOrCreate<M>(name: string, kind: MetricClass, labelNames: readonly string[], create: () => M): M {
    const existing = this.registry.getSingleMetric(name);
    if (!existing) return create();
    const existingLabels = (existing as unknown as { labelNames?: string[] }).labelNames ?? [];
    if (!(existing instanceof kind) || [...existingLabels].sort().join() !== [...labelNames].sort().join()) {
      throw new Error(`metric ${name} is already registered with another type or other labels`);
    }
    return existing as unknown as M;
  }
}

/** A sample line (not a # comment) whose value is prom-client's NaN. */
const NAN_SAMPLE = /^([^#\n].*) Nan$/gm;

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

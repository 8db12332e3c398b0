import { MetricsRegistry } from './metrics-registry';

describe('MetricsRegistry', () => {
  it('gets or creates: asking twice for a metric returns the same one instead of throwing', () => {
    const sut = new MetricsRegistry({ defaultMetrics: false });
    const first = sut.counter('tftsr_test_total', 'help', ['outcome']);
    const second = sut.counter('tftsr_test_total', 'help', ['outcome']);
    expect(second).toBe(first);
  });

  it('refuses the same name with another type or other labels', () => {
    const sut = new MetricsRegistry({ defaultMetrics: false });
    sut.counter('tftsr_test_total', 'help', ['outcome']);
    expect(() => sut.gauge('tftsr_test_total', 'help', ['outcome'])).toThrow(/another type or other labels/);
    expect(() => sut.counter('tftsr_test_total', 'help', ['service'])).toThrow(/another type or other labels/);
  });

  it('keeps each app’s metrics apart: two registries in one process both register the same names', async () => {
    const a = new MetricsRegistry();
    const b = new MetricsRegistry();
    a.counter('tftsr_test_total', 'help').inc(2);
    b.counter('tftsr_test_total', 'help').inc(5);
    expect(await a.metrics()).toMatch(/^tftsr_test_total 2$/m);
    expect(await b.metrics()).toMatch(/^tftsr_test_total 5$/m);
    expect(await a.metrics()).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('runs scrape collectors first, and a hung one neither hangs the scrape nor hides the others', async () => {
    const sut = new MetricsRegistry({ defaultMetrics: false });
    const depth = sut.gauge('tftsr_test_depth', 'help');
    sut.onScrape('hangs', () => new Promise(() => undefined), 20);
    sut.onScrape('throws', () => {
      throw new Error('redis down');
    });
    sut.onScrape('works', () => depth.set(7));
    const text = await sut.metrics();
    expect(text).toMatch(/^tftsr_test_depth 7$/m);
    expect(text).toMatch(/^tftsr_metrics_collect_failures_total\{collector="hangs"\} 1$/m);
    expect(text).toMatch(/^tftsr_metrics_collect_failures_total\{collector="throws"\} 1$/m);
  });

  it('writes a NaN sample as NaN, the exposition formats’ spelling, and leaves help text alone', async () => {
    const metrics = new MetricsRegistry({ defaultMetrics: false });
    metrics.gauge('lag_seconds', 'Nothing measured yet: Nan').set(NaN);
    metrics.gauge('depth', 'A number').set(3);
    const text = await metrics.metrics();
    expect(text).toContain('\nlag_seconds NaN\n');
    expect(text).toContain('# HELP lag_seconds Nothing measured yet: Nan\n');
    expect(text).toContain('\ndepth 3\n');
  });

  it('serves the Prometheus text content type', () => {
    expect(new MetricsRegistry({ defaultMetrics: false }).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

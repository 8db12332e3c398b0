import { randomUUID } from 'node:crypto';
import { ALL_QUEUE_NAMES } from '@tftsr/jobs';
import { waitFor } from '../support/app-processes';
import { failure, useTestApi, useTestStack } from '../support/api-harness';

const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
const LOG = [
  `2026-11-27 10:00:01 INFO  c.e.Checkout - user ${EMAIL} paid with 4111 1111 1111 1111`,
  `2026-11-27 10:00:02 WARN  c.e.Sync - using aws_access_key_id=${AWS_KEY} from 10.20.30.40`,
].join('\n');

/** One sample line of the Prometheus text format: name, optional {labels}, value. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$/;

/** The value of one series, e.g. value(text, 'tftsr_upload_files_total{kind="log_file",outcome="accepted"}'). */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function expectPrometheusText(text: string): void {
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  expect(samples.length).toBeGreaterThan(0);
  expect(samples.filter((l) => !SAMPLE.test(l))).toEqual([]);
}

describe('logs and metrics, with the real worker', () => {
  const { api, worker } = useTestStack('metrics', {}, { TFTSR_LOG_LEVEL: 'info' });
  let workerMetrics: string;
  const requestId = `metrics-e2e-${randomUUID()}`;
  let issueId: string;
  let fileId: string;

  beforeAll(async () => {
    const port = await waitFor(
      async () => /"metrics_port":(\d+)/.exec(worker.output())?.[1],
      30_000,
      () => worker.output(),
    );
    workerMetrics = `http://127.0.0.1:${port}/metrics`;

    issueId = (await api.createIssue()).id;
    const form = new FormData();
    form.append('file', new Blob([LOG]), 'app.log');
    const uploaded = await api.call('POST', `/v1/issues/${issueId}/log-files`, { rawBody: form, headers: { 'x-request-id': requestId } });
    expect(uploaded.status).toBe(202);
    fileId = uploaded.body.id;
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${fileId}`)).body.status === 'ready',
      30_000,
      () => worker.output(),
    );
    // The file is ready once the scan's transaction has also hashed it; the hash job, put back to wait for that
    // scan, ends a moment later (its delay runs out), and the assertions below count that run too.
    await waitFor(
      async () =>
        worker
          .output()
          .split('\n')
          .some(
            (l) =>
              l.includes(`"request_id":"${requestId}"`) &&
              l.includes('"job_name":"hash"') &&
              !l.includes('"outcome":"deferred"') &&
              l.includes('"outcome":'),
          ),
      30_000,
      () => worker.output(),
    );
  });

  const scrapeApi = async () => {
    const response = await fetch(`${api.base}/metrics`, { headers: { authorization: `Bearer ${api.adminKey}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  describe('GET /metrics on the API', () => {
    it('needs a metrics (or admin) key: 401 without one, 403 for a key with neither; a metrics key reads no data', async () => {
      expect(failure(await api.call('GET', '/metrics', { key: null }))).toEqual([401, 'UNAUTHENTICATED']);
      expect(failure(await api.call('GET', '/metrics', { key: api.createKey('reader', ['read', 'write']) }))).toEqual([403, 'FORBIDDEN']);
      const prometheus = api.createKey('prometheus', ['metrics']);
      const scraped = await fetch(`${api.base}/metrics`, { headers: { authorization: `Bearer ${prometheus}` } });
      expect([scraped.status, (await scraped.text()).includes('tftsr_http_request_duration_seconds')]).toEqual([200, true]);
      expect(failure(await api.call('GET', '/v1/issues', { key: prometheus }))).toEqual([403, 'FORBIDDEN']);
      expect(failure(await api.call('GET', '/v1/audit', { key: prometheus }))).toEqual([403, 'FORBIDDEN']);
      expect(api.openapi.doc.paths['/metrics'].get.responses['200'].content).toHaveProperty('text/plain');
    });

    it('answers in the Prometheus text format with HTTP latency by route pattern and status, never a raw URL', async () => {
      const text = await scrapeApi();
      expectPrometheusText(text);
      expect(value(text, 'tftsr_http_request_duration_seconds_count{method="POST",route="/v1/issues/:id/log-files",status="202"}')).toBe(1);
      expect(
        value(text, 'tftsr_http_request_duration_seconds_count{method="GET",route="/v1/log-files/:id",status="200"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(text).not.toContain(issueId);
      expect(text).not.toContain(fileId);
    });

    it('counts the upload: files, stored bytes and its duration (MB/s = bytes over duration)', async () => {
      const text = await scrapeApi();
      expect(value(text, 'tftsr_upload_files_total{kind="log_file",outcome="accepted"}')).toBe(1);
      expect(value(text, 'tftsr_upload_bytes_total{kind="log_file"}')).toBe(Buffer.byteLength(LOG));
      expect(value(text, 'tftsr_upload_duration_seconds_count{kind="log_file"}')).toBe(1);
      expect(value(text, 'tftsr_upload_duration_seconds_sum{kind="log_file"}')).toBeGreaterThan(0);
    });

    it('reports the depth of every queue, the outbox, the SQLite write lock and WAL, and Redis', async () => {
      const text = await scrapeApi();
      // The scanners' queue too (issue 19): its depth says whether more scanner hosts would help.
      for (const queue of ALL_QUEUE_NAMES) {
        for (const state of ['waiting', 'active', 'delayed', 'failed'])
          expect(value(text, `tftsr_queue_jobs{queue="${queue}",state="${state}"}`)).toEqual(expect.any(Number));
      }
      expect(value(text, 'tftsr_outbox_rows{state="pending"}')).toEqual(expect.any(Number));
      expect(value(text, 'tftsr_outbox_rows{state="failed"}')).toBe(0);
      expect(value(text, 'tftsr_outbox_oldest_pending_age_seconds')).toEqual(expect.any(Number));
      expect(value(text, 'tftsr_sqlite_write_lock_wait_seconds_count')).toBeGreaterThanOrEqual(1);
      expect(value(text, 'tftsr_sqlite_wal_bytes')).toBeGreaterThan(0);
      expect(value(text, 'tftsr_redis_up')).toBe(1);
      expect(text).toMatch(/^tftsr_redis_noeviction\{policy="[^"]+"\} [01]$/m);
      expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    });
  });

  describe('GET /metrics while Redis is unreachable', () => {
    const down = useTestApi('metrics-redis-down', { REDIS_URL: 'redis://127.0.0.1:1' });

    it('still answers, with tftsr_redis_up 0 and no queue depth (absent rather than stale)', async () => {
      const response = await fetch(`${down.base}/metrics`, { headers: { authorization: `Bearer ${down.adminKey}` } });
      expect(response.status).toBe(200);
      const text = await response.text();
      expectPrometheusText(text);
      expect(value(text, 'tftsr_redis_up')).toBe(0);
      expect(text).not.toMatch(/^tftsr_queue_jobs\{/m);
      expect(text).not.toMatch(/^tftsr_redis_noeviction\{/m);
      expect(value(text, 'tftsr_outbox_rows{state="pending"}')).toBe(0);
    });
  });

  describe('the worker’s /metrics on its own port', () => {
    it('answers without a key, in the Prometheus text format, with job durations and outcomes by queue and name', async () => {
      const response = await fetch(workerMetrics);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expectPrometheusText(text);
      const runs = (name: string, outcome: string) => value(text, `tftsr_jobs_total{queue="ingest",name="${name}",outcome="${outcome}"}`);
      expect(runs('detect_pii', 'completed')).toBe(1);
      expect(value(text, `tftsr_job_duration_seconds_count{queue="ingest",name="detect_pii",outcome="completed"}`)).toBe(1);
      // One read per file (issue 17): the scan hashes the file too and finishes the hash job, which waits for it
      // (deferred, any number of times) and then finds its work done (skipped). It never reads the file itself here.
      expect([runs('hash', 'skipped'), runs('hash', 'completed'), runs('hash', 'failed')]).toEqual([1, undefined, undefined]);
      expect(value(text, `tftsr_job_duration_seconds_count{queue="ingest",name="hash",outcome="skipped"}`)).toBe(1);
      expect(text).toContain('# TYPE tftsr_publish_results_total counter');
      expect(value(text, 'tftsr_sqlite_write_lock_wait_seconds_count')).toBeGreaterThanOrEqual(2);
      expect(value(text, 'tftsr_redis_up')).toBe(1);
      expect((await fetch(workerMetrics.replace('/metrics', '/other'))).status).toBe(404);
    });

    it('counts the PII spans stored, by type', async () => {
      const { body } = await api.call('GET', `/v1/log-files/${fileId}`);
      expect(Object.keys(body.pii_counts)).toEqual(expect.arrayContaining(['Email', 'CreditCard', 'AwsAccessKey']));
      const text = await (await fetch(workerMetrics)).text();
      for (const [type, count] of Object.entries(body.pii_counts as Record<string, number>)) {
        expect([type, value(text, `tftsr_pii_spans_total{type="${type}"}`)]).toEqual([type, count]);
      }
    });
  });

  describe('the logs', () => {
    const workerLines = () =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);

    it('are JSON lines, and the upload’s request id reaches the worker: one line per job with its start, end, duration and outcome', () => {
      const jobs = workerLines().filter((l) => l.request_id === requestId);
      const outcomes = (name: string) => jobs.filter((l) => l.job_name === name).map((l) => l.outcome);
      expect(outcomes('detect_pii')).toEqual(['completed']);
      // The hash job waits for the scan that hashes the file (deferred), then finds its work done (issue 17).
      expect(outcomes('hash').join(' ')).toMatch(/^(deferred )*skipped$/);
      expect(jobs.length).toBe(outcomes('detect_pii').length + outcomes('hash').length);
      for (const line of jobs) {
        expect(line).toMatchObject({
          level: 'info',
          service: 'worker',
          queue: 'ingest',
          job_id: expect.any(String),
          attempt: expect.any(Number),
          log_file_id: fileId,
          started_at: expect.any(String),
          ended_at: expect.any(String),
          duration_ms: expect.any(Number),
        });
      }
      expect(jobs.find((l) => l.job_name === 'detect_pii')?.attempt).toBe(1);
    });

    it('never carry the file’s content', () => {
      for (const content of [EMAIL, AWS_KEY, '4111 1111']) expect(worker.output()).not.toContain(content);
    });
  });
});

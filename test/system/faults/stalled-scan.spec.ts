import { once } from 'node:events';
import { waitFor } from '../../support/app-processes';
import { ADMIN_KEY, FaultRig, smallLog } from './fault-rig';

const ARMED = { TFTSR_FAULT_INJECT: 'test-only:exit-at-scan-start' };

/**
 * Issue 22, item 3: the worker SIGKILLed each time a scan starts, twice, so BullMQ gives the job up ("stalled more
 * than allowable limit") without any handler running. The file must not stay `scanning` forever: the reconciler
 * maps the failed job to its outbox row and dispatches a fresh attempt, or, past TFTSR_OUTBOX_MAX_DISPATCHES,
 * fails the file with the reason. Meanwhile readiness and /metrics report the stuck file.
 */
describe('a scan whose worker dies twice', () => {
  let rig: FaultRig;
  afterEach(() => rig.close());

  /** Two armed workers, each SIGKILLing itself when it starts the scan; the second gets the job once it stalled. */
  async function killTwiceAtScanStart(): Promise<void> {
    for (let kill = 1; kill <= 2; kill += 1) {
      const worker = rig.startWorker(ARMED);
      const [, signal] = (await once(worker.child, 'exit')) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');
      expect(worker.output()).toContain('FAULT INJECTION: killing process');
    }
  }

  it('is dispatched afresh after BullMQ gives up, reported as stuck meanwhile, and then completes once', async () => {
    rig = new FaultRig('stalled-retry');
    await rig.startApi({ TFTSR_STUCK_FILE_MS: '1500' });
    const issueId = await rig.createIssue();
    const file = await rig.upload(issueId, 'stalls.log', smallLog('stalls', 200));
    expect(file.status).toBe(202);
    await killTwiceAtScanStart();

    // No worker now: the file's job is dispatched and nothing moves it.
    const ready = await waitFor(
      async () => {
        const answer = await rig.call('GET', '/health/ready');
        return answer.status === 503 && answer.body.checks.stuck_files.ok === false ? answer : false;
      },
      30_000,
      () => `readiness never reported the stuck file\n${rig.logs()}`,
    );
    expect(ready.body.checks.stuck_files.reason).toContain(file.body.id);
    const metrics = await rig.call('GET', '/metrics');
    expect(metrics.body).toMatch(/^tftsr_stuck_files 1$/m);

    rig.startWorker();
    await rig.waitProcessed([file.body.id], 60_000);
    expect(rig.api!.output()).toMatch(/failed in BullMQ \(job stalled more than allowable limit\); dispatching a fresh attempt/);
    await rig.postChecks();
    await waitFor(
      async () => (await rig.call('GET', '/health/ready')).status === 200,
      30_000,
      () => rig.logs(),
    );
  }, 120_000);

  it('past TFTSR_OUTBOX_MAX_DISPATCHES, the file fails with the reason and its progress stream ends with the failure', async () => {
    rig = new FaultRig('stalled-give-up');
    await rig.startApi({ TFTSR_OUTBOX_MAX_DISPATCHES: '1' });
    const issueId = await rig.createIssue();
    const file = await rig.upload(issueId, 'gives-up.log', smallLog('gives-up', 200));
    const events = fetch(`${rig.base}/v1/log-files/${file.body.id}/events`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then(
      (r) => r.text(),
    );
    await killTwiceAtScanStart();
    rig.startWorker();

    const status = async () => (await rig.call('GET', `/v1/log-files/${file.body.id}`)).body;
    const failed = await waitFor(
      async () => ((await status()).status === 'failed' ? status() : false),
      60_000,
      () => `file never failed\n${rig.logs()}`,
    );
    expect(failed.failure_reason).toMatch(/stalled more than allowable limit/);
    const stream = await events;
    const last = stream.trim().split('\n\n').pop() ?? '';
    expect(last).toContain('"status":"failed"');
    // The hash job waits for the file's scan (which would have hashed it in the same read); once the scan has failed
    // for good it reads the file itself, after its wait: then nothing is left open.
    expect(rig.count(`SELECT count(*) AS n FROM outbox WHERE job_name = 'detect_pii' AND state = 'failed'`)).toBe(1);
    await waitFor(
      async () => rig.count(`SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'dispatched')`) === 0,
      30_000,
      () => `a job was left open\n${rig.logs()}`,
    );
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii_failed' AND entity_id = ?`, file.body.id)).toBe(1);
    expect((await rig.call('GET', '/health/ready')).body.checks.stuck_files.ok).toBe(true);
  }, 120_000);
});

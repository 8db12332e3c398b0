import { Queue } from 'bullmq';
import { once } from 'node:events';
import { waitFor } from '../../support/app-processes';
import type { JobPayloads } from '@tftsr/jobs';
import { jobIdFor } from '@tftsr/jobs';
import { FaultRig, smallLog } from './fault-rig';

/** The id the relay gives a row's job: its payload (which carries the restore generation) decides it. */
const jobIdOf = (row: { job_name: string; payload: string }) =>
  jobIdFor(row.job_name as 'hash', JSON.parse(row.payload) as JobPayloads['hash']);

/**
 * Catalogue 9 (issue 7, fault 2): the API dies between its commit and the enqueue. The test-only hook
 * TFTSR_FAULT_INJECT makes it SIGKILL itself at that point. The outbox row is the promise: after a restart
 * the relay sends the job, and it runs exactly once.
 */
describe('the API killed between the commit and the enqueue', () => {
  let rig: FaultRig;
  let issueId: string;
  let queue: Queue;

  beforeAll(async () => {
    rig = new FaultRig('api-crash');
    rig.startWorker();
    await rig.startApi();
    await rig.waitReady();
    issueId = await rig.createIssue();
    queue = new Queue('ingest', { connection: { url: rig.redisUrl }, prefix: rig.prefix });
  });
  afterAll(async () => {
    await queue.close();
    await rig.close();
  });

  /** Stops the normal API and starts one armed at `point`. */
  async function restartArmed(point: string): Promise<void> {
    await rig.api!.stop();
    await rig.startApi({ TFTSR_FAULT_INJECT: `test-only:${point}` });
    expect(rig.api!.output()).toMatch(new RegExp(`FAULT INJECTION ARMED: .*${point}`));
  }

  const outboxOf = (fileName: string) =>
    rig
      .db()
      .prepare(
        `SELECT o.id, o.job_name, o.state, o.payload FROM outbox o JOIN log_files f ON f.id = json_extract(o.payload, '$.log_file_id')
         WHERE f.file_name = ? ORDER BY o.job_name`,
      )
      .all(fileName) as { id: string; job_name: string; state: string; payload: string }[];

  it('after a crash right after the commit, the restarted API sends the jobs and each runs once', async () => {
    await restartArmed('exit-after-commit');
    const exited = once(rig.api!.child, 'exit');
    // The process dies before it answers: the client sees the connection drop, not a 202.
    await expect(rig.upload(issueId, 'committed.log', smallLog('committed'))).rejects.toThrow();
    expect((await exited)[1]).toBe('SIGKILL');
    expect(rig.api!.output()).toContain('FAULT INJECTION: killing process');

    const rows = outboxOf('committed.log');
    expect(rows.map((r) => [r.job_name, r.state])).toEqual([
      ['detect_pii', 'pending'],
      ['hash', 'pending'],
    ]);
    for (const row of rows) expect(await queue.getJob(jobIdOf(row))).toBeUndefined();

    await rig.startApi();
    const fileId = rig.db().prepare(`SELECT id FROM log_files WHERE file_name = 'committed.log'`).pluck().get() as string;
    await rig.waitProcessed([fileId], 30_000);
    // Not acknowledged, but committed: the file is there and processed once, like any accepted upload.
    rig.accepted.push(fileId);
    await rig.postChecks();
  }, 90_000);

  it('after a crash between the enqueue and marking the row dispatched, the job is sent again and still runs once', async () => {
    await restartArmed('exit-after-enqueue');
    const exited = once(rig.api!.child, 'exit');
    // The relay runs after the response is on its way, so the client may get its 202 or see the connection drop.
    const answer = await rig.upload(issueId, 'enqueued.log', smallLog('enqueued')).catch(() => null);
    expect((await exited)[1]).toBe('SIGKILL');
    expect([null, 202]).toContain(answer && answer.status);

    const rows = outboxOf('enqueued.log');
    expect(rows.map((r) => r.state)).not.toContain('dispatched');
    // The relay sends a pass's jobs in one addBulk: both reached Redis before the crash, neither row says so.
    const inRedis = await Promise.all(rows.map((r) => queue.getJob(jobIdOf(r))));
    expect(inRedis.filter(Boolean)).toHaveLength(2);

    await rig.startApi();
    const fileId = rig.db().prepare(`SELECT id FROM log_files WHERE file_name = 'enqueued.log'`).pluck().get() as string;
    await rig.waitProcessed([fileId], 30_000);
    if (!answer) rig.accepted.push(fileId);
    await waitFor(
      async () => outboxOf('enqueued.log').every((r) => r.state === 'done'),
      10_000,
      () => JSON.stringify(outboxOf('enqueued.log')),
    );
    await rig.postChecks();
  }, 90_000);
});

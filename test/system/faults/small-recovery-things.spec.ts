import { rmSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { waitFor } from '../../support/app-processes';
import { FaultRig, smallLog } from './fault-rig';

/**
 * Issue 22, item 7: Redis out of memory is named as such in the outbox and the API log; a failure reason a client
 * reads never shows the server's absolute paths; a worker whose clock is off from Redis TIME says so at start,
 * and the API's readiness says so too.
 */
describe('small things seen on the way to recovery', () => {
  let rig: FaultRig;
  let redis: IORedis;

  beforeAll(async () => {
    rig = new FaultRig('small-things');
    await rig.startRedis();
    redis = new IORedis(rig.redisUrl);
    await rig.startApi();
    await rig.waitReady();
  });
  afterAll(async () => {
    redis.disconnect();
    await rig.close();
  });

  it('says Redis is out of memory in the outbox row and the API log, then delivers once memory is back', async () => {
    const issueId = await rig.createIssue();
    await redis.config('SET', 'maxmemory', '1');
    const upload = await rig.upload(issueId, 'oom.log', smallLog('oom'));
    expect(upload.status).toBe(202);
    const lastError = () =>
      rig
        .db()
        .prepare(`SELECT last_error FROM outbox WHERE json_extract(payload, '$.log_file_id') = ? AND last_error IS NOT NULL`)
        .pluck()
        .get(upload.body.id) as string | undefined;
    await waitFor(
      async () => lastError() !== undefined,
      20_000,
      () => `the outbox never recorded the failure\n${rig.logs()}`,
    );
    expect(lastError()).toMatch(/out of memory.*OOM/);
    // The log line is written asynchronously (pino): wait for it rather than read at once.
    await waitFor(
      async () => /cannot put jobs into Redis: the job queue \(Redis\) is out of memory/.test(rig.api!.output()),
      10_000,
      () => rig.logs(),
    );

    await redis.config('SET', 'maxmemory', '0');
    rig.startWorker();
    await rig.waitProcessed([upload.body.id], 60_000);
  }, 90_000);

  it('fails a file whose stored copy is gone with a reason that names it by its stored path, not the server path', async () => {
    await rig.worker!.stop();
    const issueId = await rig.createIssue();
    const upload = await rig.upload(issueId, 'lost.log', smallLog('lost'));
    const stored = rig.db().prepare('SELECT file_path FROM log_files WHERE id = ?').pluck().get(upload.body.id) as string;
    rmSync(join(rig.dataDir, stored));
    rig.startWorker();
    const file = await waitFor(
      async () => {
        const answer = await rig.call('GET', `/v1/log-files/${upload.body.id}`);
        return answer.body.status === 'failed' ? answer.body : false;
      },
      60_000,
      () => `the file never failed\n${rig.logs()}`,
    );
    expect(file.failure_reason).toContain(stored);
    expect(file.failure_reason).not.toContain(rig.temp.dir);
    expect(file.failure_reason).not.toMatch(/(^|[\s'"])\//);
  }, 90_000);

  it('warns when a worker clock is off from Redis TIME, at its start and in the API readiness', async () => {
    await rig.worker!.stop();
    rig.startWorker({ TFTSR_TEST_CLOCK_OFFSET_MS: '60000' });
    await waitFor(
      async () => /is 60 s ahead of Redis TIME/.test(rig.worker!.output()),
      30_000,
      () => rig.logs(),
    );
    const ready = await rig.call('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.clock.reason).toMatch(/the clock of worker\.[^ ]+ is 60 s ahead of Redis TIME/);
    expect(ready.body.checks.database.ok).toBe(true);

    await rig.worker!.stop();
    await redis.del(...(await redis.keys(`${rig.prefix}:clock-skew:*`)));
    rig.startWorker();
    await rig.waitReady();
  }, 90_000);
});

import { FaultRig, smallLog } from './fault-rig';

const CLIENTS = 8;

/**
 * SIGKILL of the API while concurrent clients upload small files, which it commits in groups (GroupCommit): every
 * upload it answered 202 must be there after a restart, with its audit entry and jobs, and be processed once. An
 * upload cut off by the kill may or may not have landed; if it did, it is complete like any other.
 */
describe('SIGKILL of the API during concurrent small uploads', () => {
  let rig: FaultRig;
  let issueId: string;

  beforeAll(async () => {
    rig = new FaultRig('upload-kill');
    rig.startWorker();
    await rig.startApi();
    await rig.waitReady();
    issueId = await rig.createIssue();
    expect((await rig.call('PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10000 })).status).toBe(200);
  });
  afterAll(() => rig.close());

  it('keeps every upload answered 202, audited, and processes each once after the restart', async () => {
    let next = 0;
    let stopped = false;
    const client = async () => {
      while (!stopped) {
        const i = next++;
        try {
          // A 202 is recorded in rig.accepted by rig.upload.
          const answer = await rig.upload(issueId, `small-${i}.log`, smallLog(`kill-${i}`, 5));
          if (answer.status !== 202) return;
        } catch {
          return;
        }
      }
    };
    const running = Array.from({ length: CLIENTS }, () => client());
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (rig.accepted.length >= 60) {
          clearInterval(timer);
          resolve();
        } else if (rig.api!.child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`the API exited early:\n${rig.logs()}`));
        }
      }, 5);
    });
    rig.api!.child.kill('SIGKILL');
    await Promise.all(running);
    stopped = true;
    const acked = [...rig.accepted];
    expect(next).toBeGreaterThan(acked.length);

    await rig.startApi();
    const db = rig.db();
    const inList = acked.map(() => '?').join(',');
    expect(
      db
        .prepare(`SELECT count(*) FROM log_files WHERE id IN (${inList})`)
        .pluck()
        .get(...acked),
    ).toBe(acked.length);
    expect(
      db
        .prepare(`SELECT count(*) FROM audit_log WHERE action = 'upload_log_file' AND entity_id IN (${inList})`)
        .pluck()
        .get(...acked),
    ).toBe(acked.length);
    // Committed but not answered (the kill came between the commit and the reply): complete too, so checked as accepted.
    const landed = db.prepare(`SELECT id FROM log_files WHERE issue_id = ?`).pluck().all(issueId) as string[];
    rig.accepted.push(...landed.filter((id) => !acked.includes(id)));
    await rig.waitProcessed(rig.accepted, 120_000);
    await rig.postChecks();
  }, 240_000);
});

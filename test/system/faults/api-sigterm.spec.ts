import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../support/app-processes';
import { heldBody } from '../../support/held-body';
import type { Answer } from './fault-rig';
import { FaultRig, smallLog } from './fault-rig';

const GRACE_MS = 1500;

/** What the client saw. Errors from fetch come from another realm under jest, so no `instanceof Error`. */
function outcome(answer: Answer | { error: unknown }): string {
  return 'error' in answer ? 'connection failed' : String(answer.status);
}

/**
 * Catalogue 11, for the API (issue 7, fault 7): SIGTERM with a short grace period while an upload is
 * streaming in. The upload either completes (a 202, durable and processed after a restart) or is refused
 * (a dropped connection); it is never answered 2xx and then lost. New requests are refused once it stops.
 * The worker's side of graceful shutdown is another test's (test/system/*shutdown*).
 */
describe('the API stopped with SIGTERM during an upload', () => {
  let rig: FaultRig;
  let issueId: string;
  const tmpDir = () => join(rig.dataDir, 'blobs', 'tmp');
  const partials = () => (existsSync(tmpDir()) ? readdirSync(tmpDir()).filter((n) => n.endsWith('.part')) : []);

  beforeAll(async () => {
    rig = new FaultRig('api-sigterm');
    rig.startWorker();
    await rig.startApi({ TFTSR_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    await rig.waitReady();
    issueId = await rig.createIssue();
  });
  afterAll(() => rig.close());

  /** Starts an upload whose body stops after its first part; resolves once the API is writing it to disk. */
  async function startHeldUpload(name: string): Promise<{ answer: Promise<Answer | { error: unknown }>; send(rest: Buffer | null): void }> {
    const before = partials().length;
    const content = smallLog(name, 400);
    const body = heldBody(content.subarray(0, 1000));
    const answer = rig.upload(issueId, name, body.stream).catch((error: unknown) => ({ error }));
    await waitFor(
      async () => partials().length > before,
      10_000,
      () => 'the upload never reached the blob store',
    );
    return { answer, send: () => body.send(content.subarray(1000)) };
  }

  const fileNamed = (name: string) =>
    rig.db().prepare('SELECT id FROM log_files WHERE file_name = ?').pluck().get(name) as string | undefined;

  it('finishes an upload that completes within the grace period: 202, durable, processed once after a restart', async () => {
    const upload = await startHeldUpload('in-grace.log');
    const exited = once(rig.api!.child, 'exit');
    rig.api!.child.kill('SIGTERM');
    // Stopping means refusing new work: the listener goes first, while the held request is still in flight.
    await waitFor(
      async () =>
        fetch(`${rig.base}/health/live`).then(
          () => false,
          () => true,
        ),
      5_000,
      () => rig.logs(),
    );
    const late = await rig.upload(issueId, 'too-late.log', smallLog('too-late')).catch((error: unknown) => ({ error }));
    expect(outcome(late)).toMatch(/^(connection failed|503)$/);

    upload.send(null);
    expect(outcome(await upload.answer)).toBe('202');
    // Exit 0: it finished within the grace period, its in-flight connection closed once answered.
    expect((await exited)[0]).toBe(0);

    await rig.startApi({ TFTSR_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    await rig.waitProcessed(rig.accepted, 30_000);
    expect(fileNamed('too-late.log')).toBeUndefined();
    await rig.postChecks();
  }, 60_000);

  it('drops an upload still streaming when the grace period ends: no 2xx, no row, and the service is whole after a restart', async () => {
    const upload = await startHeldUpload('past-grace.log');
    const exited = once(rig.api!.child, 'exit');
    rig.api!.child.kill('SIGTERM');
    // Exit 1: the grace ran out with the request in flight, and the process left it unanswered.
    expect((await exited)[0]).toBe(1);
    expect(outcome(await upload.answer)).toBe('connection failed');
    upload.send(null);

    await rig.startApi({ TFTSR_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    await rig.waitReady();
    expect(fileNamed('past-grace.log')).toBeUndefined();
    await rig.waitProcessed(rig.accepted, 30_000);
    await rig.postChecks();
  }, 60_000);
});

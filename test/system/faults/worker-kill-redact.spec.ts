import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../support/app-processes';
import { denseLog, FaultRig } from './fault-rig';

const BIG = 24 * 1024 * 1024;

/**
 * Catalogue 1 (issue 7, fault 1), for a redaction: test/system/ingest-faults.spec.ts SIGKILLs the worker in
 * the middle of a scan; here it dies while writing a redacted copy. The job's lock expires, it runs again,
 * and the file ends with one redaction, one audit entry and one redacted blob.
 */
describe('the worker SIGKILLed during a redaction', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = new FaultRig('kill-redact');
    rig.startWorker();
    await rig.startApi();
    await rig.waitReady();
  });
  afterAll(() => rig.close());

  const blobsDir = () => join(rig.dataDir, 'blobs');
  const partials = () =>
    existsSync(join(blobsDir(), 'tmp')) ? readdirSync(join(blobsDir(), 'tmp')).filter((n) => n.endsWith('.part')) : [];
  const storedBlobs = () =>
    readdirSync(blobsDir(), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'tmp')
      .flatMap((d) => readdirSync(join(blobsDir(), d.name)).filter((n) => n.endsWith('.blob')));

  it('redacts the file exactly once after the rerun', async () => {
    const issueId = await rig.createIssue();
    const upload = await rig.upload(issueId, 'big.log', await denseLog(BIG));
    const fileId = upload.body.id as string;
    await rig.waitProcessed([fileId], 120_000);

    const request = await rig.call('POST', `/v1/log-files/${fileId}/redactions`, { all: true });
    expect(request.status).toBe(202);
    // No upload is in flight, so a partial blob now is the redacted copy being written.
    await waitFor(
      async () => partials().length > 0,
      60_000,
      () => `the redaction never started\n${rig.logs()}`,
    );
    await rig.worker!.stop('SIGKILL');
    const stateAt = () => rig.db().prepare('SELECT state FROM redaction_requests WHERE id = ?').pluck().get(request.body.id);
    expect(stateAt()).toBe('pending');

    rig.startWorker();
    await waitFor(
      async () => stateAt() === 'done',
      60_000,
      () => `request is ${String(stateAt())}\n${rig.logs()}`,
    );
    await rig.postChecks();
    // The original and one redacted copy; the killed run's partial file is never referenced by a row.
    expect(storedBlobs()).toHaveLength(2);
  }, 240_000);
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLogRepository, deriveKey, GroupCommit } from '@tftsr/db';
import { OutboxRelay } from '@tftsr/api/outbox/outbox-relay.service';
import { waitFor } from '../support/app-processes';
import type { TestApi } from '../support/api-harness';
import { failure, startTestApi } from '../support/api-harness';
import { factory } from '../support/factory';
import { TEST_KEY } from '../support/temp-dir';

const blobFiles = (dataDir: string): string[] =>
  readdirSync(join(dataDir, 'blobs'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'tmp')
    .flatMap((d) => readdirSync(join(dataDir, 'blobs', d.name)).filter((n) => n.endsWith('.blob')));

/**
 * Concurrent uploads share one group commit (one transaction, one fsync), and a refusal inside that commit stays
 * that upload's own: 4xx for it, nothing of it written, and the others of its group durable and audited. No
 * worker runs: what is checked is what the 202 promises (row, processing state, jobs, audit entry), not the scan.
 */
describe('uploads in one group commit', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('upload-group');
  });
  afterAll(() => api.close());

  const upload = (issueId: string, name: string, content: string | Buffer) =>
    api.call('POST', `/v1/issues/${issueId}/log-files?file_name=${name}`, {
      rawBody: Buffer.from(content),
      headers: { 'content-type': 'application/octet-stream' },
    });
  const newIssue = async () => (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id as string;

  it('commits them together; the one refused inside the group (issue full) gets 409 and leaves no trace', async () => {
    const full = await newIssue();
    expect((await upload(full, 'first.log', 'the only file this issue may hold\n')).status).toBe(202);
    const open = await Promise.all(Array.from({ length: 6 }, () => newIssue()));
    expect((await api.call('PUT', '/v1/settings/uploads.max_files_per_issue', { body: { value: 1 } })).status).toBe(200);

    const group = api.app.get(GroupCommit);
    // The outbox relay's bookkeeping goes through the same group (here it postpones jobs: no Redis is reachable), and
    // so would the first use of a key: both are settled before counting, so that the counts are the uploads' own.
    await api.app.get(OutboxRelay).onApplicationShutdown();
    const before = { ...group.stats };
    const blobsBefore = blobFiles(api.dataDir).length;
    // Held open by the test, so that every upload's unit is queued before the commit goes.
    group.windowMs = 60_000;
    const hold = group.expect();
    const answers = Promise.all([
      ...open.map((id, i) => upload(id, `good-${i}.log`, `line ${i} of a good upload\n`)),
      upload(full, 'refused.log', 'one file too many\n'),
      // Refused before the group (not text): it must not hold the group either.
      upload(open[0], 'binary.log', Buffer.from([0, 1, 2, 3, 0, 0, 0xff, 0xfe, 0])),
    ]);
    await waitFor(
      async () => group.queued === 7 || undefined,
      20_000,
      () => `queued: ${group.queued}`,
    );
    hold();
    const results = await answers;
    group.windowMs = api.config.TFTSR_GROUP_COMMIT_WINDOW_MS;

    expect(results.slice(0, 6).map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(failure(results[6])).toEqual([409, 'TOO_MANY_FILES']);
    expect(results[7].status).toBeGreaterThanOrEqual(400);
    expect(results[7].status).toBeLessThan(500);
    expect({ commits: group.stats.commits - before.commits, units: group.stats.units - before.units }).toEqual({ commits: 1, units: 7 });

    // Every 202: its row, processing state, two outbox jobs and audit entry, in the database.
    for (const [i, r] of results.slice(0, 6).entries()) {
      const id = r.body.id as string;
      expect(api.db.prepare(`SELECT issue_id, file_name FROM log_files WHERE id = ?`).get(id)).toEqual({
        issue_id: open[i],
        file_name: `good-${i}.log`,
      });
      expect(api.db.prepare(`SELECT count(*) FROM log_file_processing WHERE log_file_id = ?`).pluck().get(id)).toBe(1);
      expect(api.db.prepare(`SELECT count(*) FROM outbox WHERE json_extract(payload, '$.log_file_id') = ?`).pluck().get(id)).toBe(2);
      expect(api.db.prepare(`SELECT count(*) FROM audit_log WHERE action = 'upload_log_file' AND entity_id = ?`).pluck().get(id)).toBe(1);
    }
    // The refused ones: no row, no audit entry, no blob left behind.
    expect(api.db.prepare(`SELECT count(*) FROM log_files WHERE issue_id = ?`).pluck().get(full)).toBe(1);
    expect(api.db.prepare(`SELECT count(*) FROM log_files WHERE file_name IN ('refused.log', 'binary.log')`).pluck().get()).toBe(0);
    expect(blobFiles(api.dataDir).length).toBe(blobsBefore + 6);
    expect(new AuditLogRepository(api.db, deriveKey(TEST_KEY, 'audit-hmac')).verify()).toMatchObject({ intact: true });
  });
});

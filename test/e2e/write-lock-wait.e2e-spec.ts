import { join } from 'node:path';
import { GroupCommit, openDatabase } from '@tftsr/db';
import type { CallResult } from '../support/api-harness';
import { useTestApi } from '../support/api-harness';
import { waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { TEST_KEY } from '../support/temp-dir';

/**
 * The worker (or the CLI) holds the database's one write lock while it commits. An API write that arrives then
 * waits for it without stopping the API's event loop: other requests are answered meanwhile, and the write is
 * answered, committed and audited once the lock is free. Before, every write but uploads and shipped lines waited in
 * SQLite's busy handler, which sleeps on the event loop: the whole API stood still for as long as the lock was held.
 */
describe('API writes while another process holds the write lock', () => {
  const api = useTestApi('write-lock');

  let issueId: string;
  let doomedId: string;
  beforeAll(async () => {
    issueId = (await api.createIssue()).id as string;
    doomedId = (await api.createIssue()).id as string;
  });

  /** One write of each kind of service; the ids are read when the write is sent. */
  const cases: [name: string, action: string, status: number, send: () => Promise<CallResult>][] = [
    ['POST /v1/issues', 'create_issue', 201, () => api.call('POST', '/v1/issues', { body: factory.issue() })],
    ['PATCH /v1/issues/:id', 'update_issue', 200, () => api.call('PATCH', `/v1/issues/${issueId}`, { body: { status: 'investigating' } })],
    [
      'POST /v1/issues/:id/resolution-steps',
      'add_five_why',
      201,
      () => api.call('POST', `/v1/issues/${issueId}/resolution-steps`, { body: factory.step() }),
    ],
    [
      'PUT /v1/settings/:key',
      'update_setting',
      200,
      () => api.call('PUT', '/v1/settings/uploads.max_files_per_issue', { body: { value: 77 } }),
    ],
    ['DELETE /v1/issues/:id', 'delete_issue', 204, () => api.call('DELETE', `/v1/issues/${doomedId}`)],
  ];

  const auditCount = (action: string) => api.db.prepare('SELECT count(*) FROM audit_log WHERE action = ?').pluck().get(action) as number;

  it.each(cases)(
    '%s: other requests are answered while it waits for the lock; it commits once the lock is free',
    async (name, action, status, send) => {
      const group = api.app.get(GroupCommit);
      const audited = auditCount(action);
      const other = openDatabase({ path: join(api.dataDir, 'tftsr.db'), key: TEST_KEY });
      let answer: CallResult | undefined;
      let pending: Promise<CallResult> | undefined;
      try {
        other.exec('BEGIN IMMEDIATE');
        const retriesBefore = group.stats.lockRetries;
        pending = send().then((result) => (answer = result));
        // The write has asked for the lock and found it held: it is waiting now.
        await waitFor(
          async () => group.stats.lockRetries > retriesBefore || undefined,
          10_000,
          () => `${name}: never asked for the write lock`,
        );
        const live = await api.call('GET', '/health/live', { key: null });
        expect(live.status).toBe(200);
        const read = await api.call('GET', `/v1/issues/${issueId}`);
        expect(read.status).toBe(200);
        // Both answered while the lock was still held: the write has not been answered, and nothing of it is visible.
        expect(answer).toBeUndefined();
        expect(auditCount(action)).toBe(audited);
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      const result = await pending;
      expect([name, result.status]).toEqual([name, status]);
      expect(auditCount(action)).toBe(audited + 1);
    },
  );
});

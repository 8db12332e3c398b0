import { join } from 'node:path';
import { newId, openDatabase } from '@tftsr/db';
import { useTestApi } from '../support/api-harness';
import { waitFor } from '../support/app-processes';
import { TEST_KEY } from '../support/temp-dir';

/**
 * /health/ready over HTTP, against the OpenAPI document: every check named, each failure with its reason.
 * Redis checks are covered by test/system/redis-faults.spec.ts; a wrong key stops the process (wrong-key.spec.ts).
 */
describe('GET /health/ready', () => {
  const api = useTestApi('health', { TFTSR_READY_DB_LOCK_MS: '300', TFTSR_READY_OUTBOX_MAX_AGE_MS: '1000' });

  const ready = () => api.call('GET', '/health/ready', { key: null });

  it('is 200 with every check ok and named', async () => {
    // The producer's Redis connection comes up just after the API listens.
    const answer = await waitFor(
      async () => ((await ready()).status === 200 ? ready() : undefined),
      10_000,
      () => 'never ready',
    );
    expect(answer.body).toEqual({
      ready: true,
      checks: {
        database: { ok: true },
        database_lock: { ok: true },
        migrations: { ok: true },
        redis: { ok: true },
        redis_eviction_policy: { ok: true },
        disk_space: { ok: true },
        outbox: { ok: true },
        stuck_files: { ok: true },
        clock: { ok: true },
      },
    });
  });

  it('is 503 while another process holds the write lock too long, and ready again once it lets go', async () => {
    const other = openDatabase({ path: join(api.dataDir, 'tftsr.db'), key: TEST_KEY });
    other.exec('BEGIN IMMEDIATE');
    try {
      const answer = await ready();
      expect(answer.status).toBe(503);
      expect(answer.body.checks.database_lock).toEqual({
        ok: false,
        reason: expect.stringMatching(/write lock could not be taken for 300 ms/),
      });
      expect(answer.body.checks.database).toEqual({ ok: true });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await ready()).status).toBe(200);
  });

  it('is 503 when a pending job has not reached Redis for too long while Redis is up', async () => {
    const id = newId();
    // A row the relay keeps failing to send: postponed again and again, while Redis itself answers.
    api.db
      .prepare(
        `INSERT INTO outbox (id, queue, job_name, payload, state, next_attempt_at, created_at) VALUES (?, 'ingest', 'hash', ?, 'pending', ?, ?)`,
      )
      .run(id, JSON.stringify({ outbox_id: id, log_file_id: 'none' }), Date.now() + 3600_000, Date.now() - 600_000);
    try {
      const answer = await waitFor(
        async () => ((await ready()).body.checks.outbox.ok ? undefined : await ready()),
        10_000,
        () => 'outbox never reported stuck',
      );
      expect(answer.status).toBe(503);
      expect(answer.body.checks.outbox).toEqual({
        ok: false,
        reason: expect.stringMatching(/oldest pending outbox row has waited 6\d\d s although Redis has been up/),
      });
    } finally {
      api.db.prepare('DELETE FROM outbox WHERE id = ?').run(id);
    }
    expect((await ready()).status).toBe(200);
  });
});

describe('GET /health/ready with the disk almost full', () => {
  const api = useTestApi('health-disk', { TFTSR_MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER) });

  it('is 503 and says how much is free and what fails next', async () => {
    const ready = () => api.call('GET', '/health/ready', { key: null });
    const answer = await waitFor(
      async () => ((await ready()).body.checks.redis.ok ? ready() : undefined),
      10_000,
      () => 'redis never up',
    );
    expect(answer.status).toBe(503);
    expect(answer.body.checks.disk_space).toEqual({
      ok: false,
      reason: expect.stringMatching(/^only [\d.]+ MiB free on the filesystem of .*uploads will fail with 507/),
    });
    expect(
      Object.entries(answer.body.checks)
        .filter(([, c]) => !(c as { ok: boolean }).ok)
        .map(([name]) => name),
    ).toEqual(['disk_space']);
  });
});

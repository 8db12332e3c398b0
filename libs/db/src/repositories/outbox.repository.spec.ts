import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { typeErrorsOf } from '@tftsr/test-support/typecheck';
import { JOB_QUEUE, jobIdFor } from '@tftsr/jobs/contracts';
import type { Db } from '../database';
import { openDatabase, transaction } from '../database';
import { loadMigrations, migrate } from '../migrate';
import { OutboxRepository } from './outbox.repository';
import type { OutboxJobName, OutboxPayload } from './outbox.repository';

const DAY = 24 * 3600 * 1000;

/** A payload for every outbox job: the mapped type stops compiling when the contract gains a job this table lacks. */
const PAYLOADS: { [N in OutboxJobName]: (outbox_id: string) => OutboxPayload<N> } = {
  hash: (outbox_id) => ({ outbox_id, log_file_id: 'f' }),
  detect_pii: (outbox_id) => ({ outbox_id, log_file_id: 'f' }),
  redact: (outbox_id) => ({ outbox_id, log_file_id: 'f', redaction_request_id: 'r' }),
  publish: (outbox_id) => ({ outbox_id, publication_id: 'p' }),
  deliver_webhook: (outbox_id) => ({ outbox_id, delivery_id: 'd' }),
};
const OUTBOX_JOBS = Object.keys(PAYLOADS) as OutboxJobName[];

describe('OutboxRepository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: OutboxRepository;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
    sut = new OutboxRepository(db);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  const add = (at: number) => transaction(db, () => sut.add('hash', (outbox_id) => ({ outbox_id, log_file_id: 'f' }), at));

  it('forgets done rows that finished before the cut-off, and keeps pending, failed and recent ones', () => {
    const now = Date.now();
    const oldDone = add(now - 10 * DAY);
    sut.markDone(oldDone.id, now - 9 * DAY);
    const recentDone = add(now - 10 * DAY);
    sut.markDone(recentDone.id, now - DAY);
    const oldFailed = add(now - 10 * DAY);
    sut.markFailed(oldFailed.id, 'gave up', now - 9 * DAY);
    const pending = add(now - 10 * DAY);

    expect(sut.pruneDone(now - 7 * DAY, 100)).toBe(1);
    expect(sut.get(oldDone.id)).toBeUndefined();
    expect([recentDone, oldFailed, pending].map((r) => sut.get(r.id)?.state)).toEqual(['done', 'failed', 'pending']);
  });

  it('prunes at most `limit` rows a call', () => {
    const now = Date.now();
    for (let i = 0; i < 5; i++) sut.markDone(add(now - 10 * DAY).id, now - 9 * DAY);
    expect(sut.pruneDone(now - 7 * DAY, 2)).toBe(2);
    expect(sut.pruneDone(now - 7 * DAY, 10)).toBe(3);
  });

  it('counts the states and the age of the oldest pending row', () => {
    const now = Date.now();
    add(now - 5000);
    add(now - 1000);
    sut.markDispatched(add(now).id, now);
    sut.markDone(add(now).id, now);
    expect(sut.stats(now)).toEqual({ pending: 2, dispatched: 1, failed: 0, oldest_pending_ms: 5000 });
  });

  it('stores the queue of the job name, for every job that goes through the outbox', () => {
    const rows = transaction(db, () => OUTBOX_JOBS.map((name) => sut.add(name, PAYLOADS[name])));
    expect(rows.map((r) => [r.job_name, r.queue])).toEqual(OUTBOX_JOBS.map((name) => [name, JOB_QUEUE[name]]));
    // Every job but ping (enqueued directly, with its own id) is an outbox job.
    expect([...OUTBOX_JOBS, 'ping'].sort()).toEqual(Object.keys(JOB_QUEUE).sort());
  });

  it('reads a row back as its job under the contract, with the job id of the generation it is dispatched under', () => {
    const row = transaction(db, () => sut.add('redact', (outbox_id) => ({ outbox_id, log_file_id: 'f', redaction_request_id: 'r' })));
    const job = sut.jobOf(row, '3');
    expect(job).toEqual({ name: 'redact', payload: { outbox_id: row.id, log_file_id: 'f', redaction_request_id: 'r', generation: '3' } });
    expect(jobIdFor(job!.name, job!.payload)).toBe(`redact-3-${row.id}`);
    expect(sut.jobOf({ ...row, job_name: 'no_such_job' }, '3')).toBeUndefined();
  });

  it('refuses a job name outside the contract at run time too', () => {
    // @ts-expect-error: not a job name
    const wrongName = () => sut.add('hsah', (outbox_id: string) => ({ outbox_id, log_file_id: 'f' }));
    expect(() => transaction(db, wrongName)).toThrow(/unknown job name hsah/);
    expect(sut.stats().pending).toBe(0);
  });

  it('does not compile a wrong job name or payload (this file is typechecked: each @ts-expect-error must still fail)', () => {
    const compileOnly = [
      // @ts-expect-error: a redact job names its redaction request
      () => sut.add('redact', (outbox_id) => ({ outbox_id, log_file_id: 'f' })),
      // @ts-expect-error: the payload carries its row's id
      () => sut.add('hash', () => ({ log_file_id: 'f' })),
      // @ts-expect-error: a publish job carries a publication id, not a file id
      () => sut.add('publish', (outbox_id) => ({ outbox_id, log_file_id: 'f' })),
      // @ts-expect-error: ping is enqueued directly, never through the outbox
      () => sut.add('ping', () => ({ ping_id: 'p' })),
    ];
    expect(compileOnly).toHaveLength(4);
    expect(typeErrorsOf(__filename)).toEqual([]);
  });
});

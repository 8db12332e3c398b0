import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import type { Db } from '../database';
import { openDatabase } from '../database';
import { loadMigrations, migrate } from '../migrate';
import { ResolutionStepRepository } from './resolution-step.repository';

describe('ResolutionStepRepository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: ResolutionStepRepository;

  const step = (id: string, issueId: string, order: number) =>
    db
      .prepare(`INSERT INTO resolution_steps (id, issue_id, step_order, why_question, created_at) VALUES (?, ?, ?, 'why?', 'x')`)
      .run(id, issueId, order);
  const orders = (issueId: string) => sut.listForIssue(issueId).map((s) => [s.id, s.step_order]);

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('renumbers a desktop-app database’s duplicate step orders before making them unique (migration 018)', () => {
    const all = loadMigrations();
    const at = all.findIndex((m) => m.name.startsWith('018_'));
    migrate(db, all.slice(0, at));
    db.exec(
      `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 't', 'low', 'open', 'x', 'x'), ('i2', 't', 'low', 'open', 'x', 'x')`,
    );
    step('a', 'i1', 2);
    step('b', 'i1', 1);
    step('c', 'i1', 2);
    step('d', 'i2', 3);
    migrate(db, all);
    sut = new ResolutionStepRepository(db);
    expect(orders('i1')).toEqual([
      ['b', 1],
      ['a', 2],
      ['c', 3],
    ]);
    expect(orders('i2')).toEqual([['d', 3]]);
    expect(() => step('e', 'i2', 3)).toThrow(/UNIQUE/);
  });

  it('renumbers the steps of an issue in the order given, through the unique index', () => {
    migrate(db, loadMigrations());
    sut = new ResolutionStepRepository(db);
    db.exec(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 't', 'low', 'open', 'x', 'x')`);
    step('a', 'i1', 1);
    step('b', 'i1', 2);
    step('c', 'i1', 4);
    db.transaction(() => sut.renumber(['c', 'a', 'b']))();
    expect(orders('i1')).toEqual([
      ['c', 1],
      ['a', 2],
      ['b', 3],
    ]);
  });
});

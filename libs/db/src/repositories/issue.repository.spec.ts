import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import type { Db } from '../database';
import { openDatabase } from '../database';
import { newId } from '../ids';
import { loadMigrations, migrate } from '../migrate';
import type { Issue } from '../models';
import type { IssueListQuery } from './issue.repository';
import { IssueRepository, SearchQueryError } from './issue.repository';

describe('IssueRepository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: IssueRepository;

  const issue = (overrides: Partial<Issue> = {}): Issue => ({
    id: newId(),
    title: 'Disk full on build agents',
    description: null,
    severity: 'medium',
    status: 'open',
    category: null,
    source: 'api',
    created_at: '2026-01-01 00:00:00',
    updated_at: '2026-01-01 00:00:00',
    resolved_at: null,
    assigned_to: null,
    tags: '[]',
    ...overrides,
  });
  const query = (overrides: Partial<IssueListQuery> = {}): IssueListQuery => ({
    sort: 'updated_at',
    order: 'desc',
    limit: 50,
    ...overrides,
  });

  beforeAll(() => {
    // A plain file: the key derivation of an encrypted one would cost more than these tests.
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
    migrate(db, loadMigrations());
    sut = new IssueRepository(db);
  });
  afterAll(() => {
    db.close();
    temp.remove();
  });
  beforeEach(() => db.exec('DELETE FROM issues'));

  it('treats tags that are not valid JSON (a legacy row) as no tags instead of failing the listing', () => {
    const good = issue({ tags: '["db"]' });
    sut.insert(good);
    sut.insert(issue({ tags: 'db, prod' }));
    sut.insert(issue({ tags: null }));
    expect(sut.list(query({ tags: ['db'] })).map((r) => r.id)).toEqual([good.id]);
    expect(sut.list(query())).toHaveLength(3);
  });

  it('pages with keyset cursors without skipping or repeating rows that share a timestamp', () => {
    const ids = Array.from({ length: 7 }, () => {
      const row = issue();
      sut.insert(row);
      return row.id;
    });
    for (const sort of ['updated_at', 'created_at', 'severity'] as const) {
      const seen: string[] = [];
      let after: unknown[] | undefined;
      for (;;) {
        const page = sut.list(query({ sort, limit: 3, after }));
        seen.push(...page.map((r) => r.id));
        if (page.length < 3) break;
        after = sut.sortKeyOf(page[page.length - 1], sort);
      }
      expect(seen.sort()).toEqual([...ids].sort());
    }
  });

  it('walks the severity index rather than sorting the table', () => {
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM issues i ORDER BY (CASE i.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END) DESC, i.updated_at DESC, i.id DESC LIMIT 5`,
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX idx_issues_severity_rank/);
  });

  it('turns an FTS5 syntax error into a SearchQueryError rather than a crash', () => {
    sut.insert(issue());
    expect(() => sut.list(query({ match: 'title:', sort: 'relevance' }))).toThrow(SearchQueryError);
  });

  it('counts the children of every kind and lists the files they stored', () => {
    const parent = issue();
    sut.insert(parent);
    db.prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, uploaded_at) VALUES ('l1', ?, 'a.log', 'blobs/a', 'x')`).run(
      parent.id,
    );
    db.prepare(`INSERT INTO image_attachments (id, issue_id, file_name, file_path) VALUES ('m1', ?, 'a.png', 'blobs/b')`).run(parent.id);
    db.prepare(`INSERT INTO image_attachments (id, issue_id, file_name) VALUES ('m2', ?, 'pasted.png')`).run(parent.id);
    expect(sut.countChildren(parent.id)).toEqual({
      log_files: 1,
      image_attachments: 2,
      resolution_steps: 0,
      conversations: 0,
      documents: 0,
    });
    expect(sut.listStoredFilePaths(parent.id).sort()).toEqual(['blobs/a', 'blobs/b']);
  });
});

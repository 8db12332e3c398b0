import type { Db } from '../database';
import type { Issue, IssueStatus, Severity } from '../models';

export type IssueSort = 'relevance' | 'updated_at' | 'created_at' | 'severity';
export type SortOrder = 'asc' | 'desc';

export interface IssueListFilter {
  /** An FTS5 MATCH expression that is already safe (see issues/fts-query.ts); never raw user text. */
  match?: string;
  status?: IssueStatus;
  severity?: Severity;
  category?: string;
  assigned_to?: string;
  /** Every tag must be present. */
  tags?: string[];
  created_from?: string;
  created_to?: string;
  updated_from?: string;
  updated_to?: string;
}

export interface IssueListQuery extends IssueListFilter {
  sort: IssueSort;
  order: SortOrder;
  limit: number;
  /** The sort key of the last row of the previous page, as `sortKeyOf` returned it. */
  after?: unknown[];
}

export interface IssueListRow extends Issue {
  /** With a match: the highlighted passage, matches between SNIPPET_OPEN and SNIPPET_CLOSE. */
  snippet: string | null;
}

export interface IssueChildCounts {
  log_files: number;
  image_attachments: number;
  resolution_steps: number;
  conversations: number;
  documents: number;
}

/** Start and end of a highlighted term in `snippet`; private-use characters, escaped by the caller. */
export const SNIPPET_OPEN = '\uE000';
export const SNIPPET_CLOSE = '\uE001';

/** Must stay identical to the expression of idx_issues_severity_rank (migration 019). */
const SEVERITY_RANK = `(CASE i.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`;
/** Title matches weigh ten times description matches; the first column (id) is not indexed. */
const SCORE = 'bm25(issues_fts, 0.0, 10.0, 1.0)';

/**
 * The expressions each sort orders by, most significant first; the id breaks ties so pages never overlap.
 * bm25 depends on the whole index, so issues written between two pages of a search can shift its order.
 */
const SORT_KEYS: Record<IssueSort, string[]> = {
  relevance: [SCORE, 'i.id'],
  updated_at: ['i.updated_at', 'i.id'],
  created_at: ['i.created_at', 'i.id'],
  severity: [SEVERITY_RANK, 'i.updated_at', 'i.id'],
};

/** Invalid JSON in a legacy row counts as no tags, rather than failing the whole query. */
const TAGS_JSON = `CASE WHEN json_valid(i.tags) THEN i.tags ELSE '[]' END`;

export class SearchQueryError extends Error {}

const SNIPPETS_SQL = `SELECT rowid AS row_id, snippet(issues_fts, -1, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 16) AS snippet
  FROM issues_fts WHERE issues_fts MATCH @match AND rowid IN (SELECT value FROM json_each(@row_ids))`;

export class IssueRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly existsStmt;
  private readonly updateStmt;
  private readonly touchStmt;
  private readonly deleteStmt;
  private readonly countChildrenStmt;
  private readonly storedFilesStmt;
  private readonly listStmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO issues (id, title, description, severity, status, category, source, created_at, updated_at, resolved_at, assigned_to, tags)
       VALUES (@id, @title, @description, @severity, @status, @category, @source, @created_at, @updated_at, @resolved_at, @assigned_to, @tags)`,
    );
    this.findStmt = db.prepare(`SELECT * FROM issues WHERE id = ?`);
    this.existsStmt = db.prepare(`SELECT 1 FROM issues WHERE id = ?`).pluck();
    this.updateStmt = db.prepare(
      `UPDATE issues SET title = @title, description = @description, severity = @severity, status = @status, category = @category,
         source = @source, updated_at = @updated_at, resolved_at = @resolved_at, assigned_to = @assigned_to, tags = @tags
       WHERE id = @id`,
    );
    this.touchStmt = db.prepare(`UPDATE issues SET updated_at = ? WHERE id = ?`);
    this.deleteStmt = db.prepare(`DELETE FROM issues WHERE id = ?`);
    this.countChildrenStmt = db.prepare(
      `SELECT (SELECT count(*) FROM log_files WHERE issue_id = @id) AS log_files,
              (SELECT count(*) FROM image_attachments WHERE issue_id = @id) AS image_attachments,
              (SELECT count(*) FROM resolution_steps WHERE issue_id = @id) AS resolution_steps,
              (SELECT count(*) FROM ai_conversations WHERE issue_id = @id) AS conversations,
              (SELECT count(*) FROM documents WHERE issue_id = @id) AS documents`,
    );
    this.storedFilesStmt = db.prepare(
      `SELECT file_path FROM log_files WHERE issue_id = @id AND file_path <> ''
       UNION SELECT file_path FROM image_attachments WHERE issue_id = @id AND file_path <> ''
       UNION SELECT r.redacted_path FROM log_file_redactions r JOIN log_files f ON f.id = r.log_file_id WHERE f.issue_id = @id`,
    );
  }

  insert(issue: Issue): void {
    this.insertStmt.run(issue);
  }

  findById(id: string): Issue | undefined {
    return this.findStmt.get(id) as Issue | undefined;
  }

  /** Cheaper than findById where only existence matters (each shipped request asks). */
  exists(id: string): boolean {
    return this.existsStmt.get(id) !== undefined;
  }

  /** Writes every mutable column of `issue`; the FTS triggers re-index title and description. */
  update(issue: Issue): void {
    this.updateStmt.run(issue);
  }

  /** A child changed: the issue counts as updated. Returns false when the issue does not exist. */
  touch(id: string, updatedAt: string): boolean {
    return this.touchStmt.run(updatedAt, id).changes === 1;
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }

  countChildren(id: string): IssueChildCounts {
    return this.countChildrenStmt.get({ id }) as IssueChildCounts;
  }

  /** The files on disk that the issue's log files (original and redacted) and images point at. */
  listStoredFilePaths(id: string): string[] {
    return (this.storedFilesStmt.all({ id }) as { file_path: string }[]).map((r) => r.file_path);
  }

  /** One page, in the requested order. `sortKeyOf(row)` gives the `after` value for the next page. */
  list(query: IssueListQuery): IssueListRow[] {
    const { from, where, params } = this.where(query);
    const keys = SORT_KEYS[query.sort];
    const direction = this.sqlDirection(query);
    if (query.after) {
      if (query.after.length !== keys.length) throw new RangeError('cursor does not fit the sort');
      where.push(`(${keys.join(', ')}) ${direction === 'DESC' ? '<' : '>'} (${keys.map((_, n) => `@after${n}`).join(', ')})`);
      query.after.forEach((value, n) => (params[`after${n}`] = value));
    }
    const sql =
      `SELECT i.*, i.rowid AS row_id, ${keys.map((k, n) => `${k} AS sort_key${n}`).join(', ')} FROM ${from} ` +
      `WHERE ${where.join(' AND ') || '1'} ORDER BY ${keys.map((k) => `${k} ${direction}`).join(', ')} LIMIT @limit`;
    params.limit = query.limit;
    const rows = this.run(sql, params, (stmt) => stmt.all(params)) as (IssueListRow & { row_id: number })[];
    const snippets =
      query.match !== undefined && rows.length > 0
        ? this.snippets(
            query.match,
            rows.map((r) => r.row_id),
          )
        : new Map<number, string>();
    return rows.map((row) => ({ ...row, snippet: snippets.get(row.row_id) ?? null }));
  }

  count(filter: IssueListFilter): number {
    const { from, where, params } = this.where(filter);
    // A bare search counts from the index alone: joining every match to its row costs a page read each.
    const source = filter.match !== undefined && where.length === 1 ? 'issues_fts' : from;
    const sql = `SELECT count(*) AS n FROM ${source} WHERE ${where.join(' AND ') || '1'}`;
    return (this.run(sql, params, (stmt) => stmt.get(params)) as { n: number }).n;
  }

  /** How many values `sortKeyOf` gives for this sort, so a cursor of another length can be refused. */
  sortKeyLength(sort: IssueSort): number {
    return SORT_KEYS[sort].length;
  }

  sortKeyOf(row: IssueListRow, sort: IssueSort): unknown[] {
    return SORT_KEYS[sort].map((_, n) => (row as unknown as Record<string, unknown>)[`sort_key${n}`]);
  }

  /** Snippets for one page only: computing them in the ranked query would cost one per match. */
  private snippets(match: string, rowIds: number[]): Map<number, string> {
    const rows = this.run(SNIPPETS_SQL, { match }, (stmt) => stmt.all({ match, row_ids: JSON.stringify(rowIds) })) as {
      row_id: number;
      snippet: string;
    }[];
    return new Map(rows.map((r) => [r.row_id, r.snippet]));
  }

  private where(filter: IssueListFilter): { from: string; where: string[]; params: Record<string, unknown> } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const equal = (column: keyof IssueListFilter & keyof Issue) => {
      if (filter[column] === undefined) return;
      where.push(`i.${column} = @${column}`);
      params[column] = filter[column];
    };
    equal('status');
    equal('severity');
    equal('category');
    equal('assigned_to');
    const range = (name: keyof IssueListFilter, column: string, op: string) => {
      if (filter[name] === undefined) return;
      where.push(`i.${column} ${op} @${name}`);
      params[name] = filter[name];
    };
    range('created_from', 'created_at', '>=');
    range('created_to', 'created_at', '<');
    range('updated_from', 'updated_at', '>=');
    range('updated_to', 'updated_at', '<');
    (filter.tags ?? []).forEach((tag, n) => {
      where.push(`EXISTS (SELECT 1 FROM json_each(${TAGS_JSON}) WHERE value = @tag${n})`);
      params[`tag${n}`] = tag;
    });
    if (filter.match === undefined) return { from: 'issues i', where, params };
    where.unshift('issues_fts MATCH @match');
    params.match = filter.match;
    return { from: 'issues_fts JOIN issues i ON i.rowid = issues_fts.rowid', where, params };
  }

  private sqlDirection(query: IssueListQuery): 'ASC' | 'DESC' {
    // bm25 is lower for better matches, so "best first" is ascending.
    if (query.sort === 'relevance') return query.order === 'desc' ? 'ASC' : 'DESC';
    return query.order === 'desc' ? 'DESC' : 'ASC';
  }

  private run<T>(sql: string, params: Record<string, unknown>, fn: (stmt: ReturnType<Db['prepare']>) => T): T {
    let stmt = this.listStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.listStmts.size < 256) this.listStmts.set(sql, stmt);
    }
    try {
      return fn(stmt);
    } catch (err) {
      // The query is quoted term by term, so this should not happen; if FTS5 still objects, it is the input's fault.
      if (params.match !== undefined && /fts5|syntax error|unterminated|malformed MATCH/i.test((err as Error).message)) {
        throw new SearchQueryError((err as Error).message);
      }
      throw err;
    }
  }
}

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * The apps reach the database only through libs/db (issue 14, item 1): no statement is prepared, no pragma set,
 * no SQL written outside it. Reads the sources with the TypeScript parser, so a regular expression's `.exec(` or
 * a message that says "select" is not mistaken for SQL.
 */

const ROOT = join(__dirname, '..', '..');
// Every app with a database connection; apps/web is the browser UI and has none to reach.
const APP_DIRS = readdirSync(join(ROOT, 'apps')).filter((app) => app !== 'web');

/** Methods of a better-sqlite3 connection that run SQL, or open a transaction other than libs/db's helpers. */
const DATABASE_METHODS = new Set(['prepare', 'pragma', 'exec', 'transaction']);

const SQL = [
  /\bSELECT\b[\s\S]*\bFROM\b/,
  /\bSELECT\s+(?:1|\*|count\s*\()/,
  /\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b/,
  /\bUPDATE\s+\w+\s+SET\b/,
  /\bDELETE\s+FROM\b/,
  /\b(?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX|TRIGGER|VIEW)\b/,
  /\bPRAGMA\b/,
  /^\s*(?:BEGIN|COMMIT|ROLLBACK|VACUUM|SAVEPOINT)\b/,
  /\bsqlite_master\b|\bpragma_table_info\b/,
];

interface Finding {
  where: string;
  what: string;
}

/** Every database call and SQL text in one source file, as `file:line` and what was found there. */
function findSqlIn(fileName: string, source: string): Finding[] {
  const kind = fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, kind);
  const findings: Finding[] = [];
  const at = (node: ts.Node) => `${fileName}:${file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && DATABASE_METHODS.has(node.expression.name.text)) {
      const method = node.expression.name.text;
      // `pattern.exec(text)` is a regular expression's; only a connection's exec runs SQL.
      if (method !== 'exec' || isConnection(node.expression.expression)) findings.push({ where: at(node), what: `.${method}(` });
    }
    for (const text of literalTexts(node)) {
      const hit = SQL.find((pattern) => pattern.test(text));
      if (hit) findings.push({ where: at(node), what: `SQL text ${JSON.stringify(text.slice(0, 60))}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

/** `db`, `this.db`, `database`, `connection`: the names the tree gives a better-sqlite3 connection. */
function isConnection(node: ts.Expression): boolean {
  const name = ts.isIdentifier(node) ? node.text : ts.isPropertyAccessExpression(node) ? node.name.text : '';
  return /^(?:db|database|connection)$/i.test(name);
}

function literalTexts(node: ts.Node): string[] {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isTemplateExpression(node)) return [[node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ? ')];
  return [];
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return /\.tsx?$/.test(entry.name) && !/\.spec\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe('no SQL in the apps', () => {
  it.each(APP_DIRS)('apps/%s/src neither prepares statements nor holds SQL: libs/db does', (app) => {
    const files = sourcesUnder(join(ROOT, 'apps', app, 'src'));
    expect(files.length).toBeGreaterThan(0);
    const findings = files.flatMap((path) => findSqlIn(relative(ROOT, path), readFileSync(path, 'utf8')));
    expect(findings.map((f) => `${f.where} ${f.what}`)).toEqual([]);
  });

  it('catches a statement, a pragma and SQL in a template, and names the line', () => {
    const planted = [
      'const row = db.prepare("SELECT 1 FROM issues WHERE id = ?").get(id);',
      'db.pragma("busy_timeout = 200");',
      'const sql = `DELETE FROM ${table} WHERE id = ?`;',
      'db.transaction(() => undefined).deferred();',
      'this.db.exec(statement);',
    ].join('\n');
    expect(findSqlIn('apps/api/src/planted.ts', planted)).toEqual([
      { where: 'apps/api/src/planted.ts:1', what: '.prepare(' },
      { where: 'apps/api/src/planted.ts:1', what: 'SQL text "SELECT 1 FROM issues WHERE id = ?"' },
      { where: 'apps/api/src/planted.ts:2', what: '.pragma(' },
      { where: 'apps/api/src/planted.ts:3', what: 'SQL text "DELETE FROM  ?  WHERE id = ?"' },
      { where: 'apps/api/src/planted.ts:4', what: '.transaction(' },
      { where: 'apps/api/src/planted.ts:5', what: '.exec(' },
    ]);
  });

  it('does not take a regular expression or words in a message for SQL', () => {
    const clean = [
      'const m = /^tftsr-(.+)$/.exec(name);',
      'const n = BEARER.exec(header);',
      "throw new Error('select a file, then update the issue and delete the draft');",
      'await transaction(db, () => undefined);',
    ].join('\n');
    expect(findSqlIn('apps/api/src/clean.ts', clean)).toEqual([]);
  });
});

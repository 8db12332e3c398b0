import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { TARGET_NAMES, targetOf } from '@tftsr/integrations/targets/registry';
import { AUDIT_ACTIONS, auditActionLabel, DESKTOP_EVENT_LABELS, isAuditAction } from './audit-actions';

const ROOT = join(__dirname, '..', '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || path === join(ROOT, 'apps', 'web') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

interface AuditWrite {
  where: string;
  /** The action's possible values as the compiler sees them; null when it is not a union of string literals. */
  actions: string[] | null;
}

/**
 * Every audit write in apps/ and libs/ (a call of AuditLogRepository's `append`), with what its `action` can be.
 * The compiler resolves template literals and parameters (`publish_to_${service}`), which a text search cannot.
 */
function auditWrites(): AuditWrite[] {
  const files = [...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'libs'))];
  const configPath = join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p)).config as unknown;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, { noEmit: true }, configPath);
  const program = ts.createProgram(files, options);
  const checker = program.getTypeChecker();
  const writes: AuditWrite[] = [];
  for (const file of files) {
    const source = program.getSourceFile(file)!;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'append') {
        const receiver = checker.getTypeAtLocation(node.expression.expression);
        const entry = node.arguments[0];
        if (receiver.getSymbol()?.getName() === 'AuditLogRepository' && entry && ts.isObjectLiteralExpression(entry)) {
          const property = entry.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === 'action');
          const type = property ? checker.getTypeAtLocation(property) : undefined;
          const members = type ? (type.isUnion() ? type.types : [type]) : [];
          const resolved = members.length > 0 && members.every((t) => t.isStringLiteral());
          const literals = resolved ? members.map((t) => t.value) : null;
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          writes.push({ where: `${relative(ROOT, file)}:${line + 1}`, actions: literals });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return writes;
}

describe('AUDIT_ACTIONS', () => {
  it('gives every action a label', () => {
    const unlabeled = Object.entries(AUDIT_ACTIONS).filter(([, info]) => typeof info.label !== 'string' || info.label.trim() === '');
    expect(unlabeled).toEqual([]);
  });

  it('has a published and a failed action for every publishing target, labelled with the target', () => {
    for (const name of TARGET_NAMES) {
      expect(auditActionLabel(`publish_to_${name}`)).toBe(`Published to ${targetOf(name).label}`);
      expect(isAuditAction(`publish_to_${name}_failed`)).toBe(true);
    }
  });

  it('labels the desktop app’s timeline events, and leaves unknown actions to the caller', () => {
    expect(auditActionLabel('rca_generated')).toBe(DESKTOP_EVENT_LABELS.rca_generated);
    expect(auditActionLabel('no_such_action')).toBeUndefined();
    expect(auditActionLabel('constructor')).toBeUndefined();
  });

  describe('against the code that writes the audit trail', () => {
    let writes: AuditWrite[];
    beforeAll(() => {
      writes = auditWrites();
    }, 120_000);

    it('finds the audit writes of apps/ and libs/', () => {
      // A walker that finds nothing would pass the tests below vacuously.
      expect(writes.length).toBeGreaterThan(50);
      expect(writes.some((w) => w.where.startsWith('apps/api/src/issues/') && w.actions?.includes('create_issue'))).toBe(true);
      // A template literal is expanded by the compiler: `${step === 'hash' ? 'hash_log_file' : 'detect_pii'}_failed`.
      expect(writes.some((w) => w.actions?.includes('hash_log_file_failed') && w.actions.includes('detect_pii_failed'))).toBe(true);
      expect(writes.some((w) => TARGET_NAMES.every((name) => w.actions?.includes(`publish_to_${name}_failed`)))).toBe(true);
    });

    it('writes only actions of the list, each resolved to literal strings by the compiler', () => {
      expect(writes.filter((w) => w.actions === null).map((w) => w.where)).toEqual([]);
      const unknown = writes.flatMap((w) => (w.actions ?? []).filter((a) => !isAuditAction(a)).map((a) => `${w.where}: ${a}`));
      expect(unknown).toEqual([]);
    });

    it('lists no action that nothing writes', () => {
      const written = new Set(writes.flatMap((w) => w.actions ?? []));
      expect(Object.keys(AUDIT_ACTIONS).filter((a) => !written.has(a))).toEqual([]);
    });
  });
});

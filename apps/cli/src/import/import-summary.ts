import type { Stored } from './content-stager';
import type { DesktopBundle, IssuePlan } from './issue-plan';

export const IMPORT_TABLES = [
  'issues',
  'log_files',
  'image_attachments',
  'resolution_steps',
  'ai_conversations',
  'ai_messages',
  'documents',
  'timeline_events',
] as const;
export type ImportTable = (typeof IMPORT_TABLES)[number];

export interface TableCount {
  /** Rows in the desktop database. */
  found: number;
  /** Written now (or, in a dry run, that would be). */
  imported: number;
  /** Already here from an earlier run. */
  present: number;
  skipped: number;
}

export interface ImportSummary {
  dryRun: boolean;
  level: number;
  encrypted: boolean;
  runId: string;
  counts: Record<ImportTable, TableCount>;
  skipped: { what: string; reason: string }[];
  warnings: string[];
}

export function emptySummary(fields: Pick<ImportSummary, 'dryRun' | 'level' | 'encrypted' | 'runId'>): ImportSummary {
  const counts = Object.fromEntries(IMPORT_TABLES.map((t) => [t, { found: 0, imported: 0, present: 0, skipped: 0 }])) as Record<
    ImportTable,
    TableCount
  >;
  return { ...fields, counts, skipped: [], warnings: [] };
}

/** Keeps the counts of a run: what each issue brought in, what was already here, and what was left out and why. */
export class SummaryBook {
  constructor(readonly summary: ImportSummary) {}

  importedRows(): number {
    return IMPORT_TABLES.reduce((n, t) => n + this.summary.counts[t].imported, 0);
  }

  count(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored, all: IssuePlan): void {
    const c = this.summary.counts;
    const add = (table: ImportTable, imported: number, total: number, skipped = 0) => {
      c[table].imported += imported;
      c[table].present += total - imported - skipped;
    };
    add('issues', plan.issueIsNew ? 1 : 0, 1);
    add('log_files', stored.files.length, all.logFiles.length, plan.logFiles.length - stored.files.length);
    add('image_attachments', stored.images.length, all.images.length, plan.images.length - stored.images.length);
    add('resolution_steps', plan.steps.length, all.steps.length);
    add('ai_conversations', plan.conversations.length, all.conversations.length);
    add('ai_messages', plan.messages.length, all.messages.length);
    add('documents', plan.documents.length, all.documents.length);
    add('timeline_events', plan.timeline.length, all.timeline.length);
  }

  countPresent(all: IssuePlan): void {
    const c = this.summary.counts;
    c.issues.present += 1;
    c.log_files.present += all.logFiles.length;
    c.image_attachments.present += all.images.length;
    c.resolution_steps.present += all.steps.length;
    c.ai_conversations.present += all.conversations.length;
    c.ai_messages.present += all.messages.length;
    c.documents.present += all.documents.length;
    c.timeline_events.present += all.timeline.length;
  }

  warnSkipped(table: ImportTable, what: string, reason: string): void {
    this.summary.counts[table].skipped += 1;
    this.summary.warnings.push(`${what}: skipped: ${reason}`);
  }

  skipIssue(bundle: DesktopBundle, reason: string): void {
    this.summary.counts.issues.skipped += 1;
    this.summary.skipped.push({ what: `issue ${String(bundle.issue.id)}`, reason });
  }
}

export function describeNew(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored): string {
  const parts = [
    [plan.issueIsNew ? 1 : 0, 'issue'],
    [stored.files.length, 'log file(s)'],
    [stored.images.length, 'image(s)'],
    [plan.steps.length, '5-Why step(s)'],
    [plan.conversations.length, 'conversation(s)'],
    [plan.messages.length, 'message(s)'],
    [plan.documents.length, 'document(s)'],
    [plan.timeline.length, 'timeline event(s)'],
  ].filter(([n]) => Number(n) > 0);
  return parts.length === 0 ? 'nothing new' : parts.map(([n, what]) => `${n} ${what}`).join(', ');
}

import type { Issue, LogFile, ResolutionStep } from '@tftsr/db';
import { auditActionLabel } from '@tftsr/db';

export type DocType = 'rca' | 'postmortem';

/** One line of the audit timeline of an issue, already in words. */
export interface TimelineEvent {
  /** The seed's TEXT timestamp, UTC. */
  timestamp: string;
  action: string;
  description: string;
}

/** Everything a document is made of: the issue, its 5-Whys, its log files' metadata and its audit timeline. */
export interface DocumentSources {
  issue: Issue;
  steps: ResolutionStep[];
  logFiles: LogFile[];
  timeline: TimelineEvent[];
  generatedAt: Date;
}

export interface RenderedDocument {
  title: string;
  content_md: string;
}

/** `update_issue` → "Issue Updated" (AUDIT_ACTIONS); unknown actions are shown as they are, as the desktop app did. */
export function eventName(action: string): string {
  return auditActionLabel(action) ?? action;
}

/** `RCA: <title>` / `Post-Mortem: <title>`, the desktop app's titles, within the column's practical length. */
export function documentTitle(docType: DocType, issueTitle: string): string {
  return `${docType === 'rca' ? 'RCA' : 'Post-Mortem'}: ${issueTitle}`.slice(0, 255);
}

export function renderDocument(docType: DocType, sources: DocumentSources): RenderedDocument {
  return {
    title: documentTitle(docType, sources.issue.title),
    content_md: docType === 'rca' ? renderRca(sources) : renderPostmortem(sources),
  };
}

/** The desktop app's RCA template (reference §6), with real data where it had placeholders. */
export function renderRca(s: DocumentSources): string {
  const { issue } = s;
  const out: string[] = [`# Root Cause Analysis: ${inline(issue.title)}`, '', '## Issue Summary', '', '| Field | Value |', '|---|---|'];
  const rows: [string, string][] = [
    ['Issue ID', issue.id],
    ['Category', issue.category ?? '—'],
    ['Status', issue.status],
    ['Severity', issue.severity],
    ['Source', issue.source ?? '—'],
    ['Assigned To', issue.assigned_to || 'Unassigned'],
    ['Created', `${issue.created_at} UTC`],
    ['Last Updated', `${issue.updated_at} UTC`],
  ];
  if (issue.resolved_at) rows.push(['Resolved', `${issue.resolved_at} UTC`]);
  out.push(...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`), '');
  if (issue.description?.trim()) out.push('## Description', '', issue.description.trim(), '');

  out.push('## Incident Timeline', '');
  if (s.timeline.length === 0) out.push('_No timeline events recorded._', '');
  else
    out.push(
      '| Time (UTC) | Event | Description |',
      '|---|---|---|',
      ...s.timeline.map((e) => `| ${e.timestamp} | ${cell(eventName(e.action))} | ${cell(e.description)} |`),
      '',
    );

  out.push(
    '## Incident Metrics',
    '',
    `- **Total Events:** ${s.timeline.length}`,
    `- **Incident Duration:** ${timelineDuration(s.timeline)}`,
  );
  out.push(
    `- **Time to Resolution:** ${issue.resolved_at ? (formatDuration(parseTs(issue.resolved_at) - parseTs(issue.created_at)) ?? 'N/A') : 'not resolved yet'}`,
    '',
  );

  out.push('## 5 Whys Analysis', '');
  if (s.steps.length === 0) out.push('_No 5-whys analysis has been performed yet._', '');
  for (const step of s.steps) {
    out.push(
      `### Why #${step.step_order}: ${inline(step.why_question)}`,
      '',
      step.answer ? `**Answer:** ${step.answer}` : '_Awaiting answer._',
      '',
    );
    if (step.evidence) out.push(`**Evidence:** ${step.evidence}`, '');
  }

  out.push('## Root Cause', '');
  const root = rootCause(s.steps);
  if (root) out.push(`> ${root.replace(/\n/g, '\n> ')}`, '');
  else
    out.push(
      s.steps.length
        ? '_The 5-Whys analysis is incomplete: the last why has no answer yet._'
        : '_Perform a 5-Whys analysis to identify the root cause._',
      '',
    );

  out.push('## Log Files Analyzed', '');
  if (s.logFiles.length === 0) out.push('_No log files were uploaded._', '');
  else
    out.push(
      '| File | Size | Redacted | Hash |',
      '|---|---|---|---|',
      ...s.logFiles.map(
        (f) => `| ${cell(f.file_name)} | ${f.file_size ?? '?'} bytes | ${f.redacted ? 'Yes' : 'No'} | ${shortHash(f.content_hash)} |`,
      ),
      '',
    );

  out.push(
    '## Corrective Actions',
    '',
    '### Immediate Actions',
    '',
    '- [ ] _Describe the immediate fix._',
    '',
    '### Long-Term Actions',
    '',
    '- [ ] _Describe the preventive work._',
    '',
  );
  out.push('## Lessons Learned', '', '- _What did this incident teach us?_', '');
  out.push(footer(s.generatedAt));
  return out.join('\n');
}

/** The desktop app's blameless post-mortem template (reference §6). */
export function renderPostmortem(s: DocumentSources): string {
  const { issue } = s;
  const out: string[] = [`# Blameless Post-Mortem: ${inline(issue.title)}`, '', '## Metadata', ''];
  out.push(
    `- **Date:** ${issue.created_at} UTC`,
    `- **Severity:** ${issue.severity}`,
    `- **Category:** ${issue.category ?? '—'}`,
    `- **Status:** ${issue.status}`,
    `- **Last Updated:** ${issue.updated_at} UTC`,
    `- **Assigned To:** ${issue.assigned_to || '_Unassigned_'}`,
    '- **Authors:** _add the authors_',
    '- **Reviewers:** _add the reviewers_',
    '',
  );
  out.push('## Executive Summary', '', issue.description?.trim() || '_Summarise what happened, its impact and how it was resolved._', '');
  out.push(
    '## Impact',
    '',
    `- **Duration:** ${timelineDuration(s.timeline)}`,
    '- **Users Affected:** _to be filled in_',
    '- **Revenue Impact:** _to be filled in_',
    '- **SLA Impact:** _to be filled in_',
    '',
  );

  out.push('## Timeline', '', '| Time (UTC) | Event |', '|---|---|', `| ${issue.created_at} | Issue created |`);
  if (issue.resolved_at) out.push(`| ${issue.resolved_at} | Issue resolved |`);
  if (s.timeline.length === 0) out.push('| — | _No events recorded._ |');
  out.push(...s.timeline.map((e) => `| ${e.timestamp} | ${cell(`${eventName(e.action)} - ${e.description}`)} |`), '');

  out.push('## Root Cause Analysis', '', '### 5 Whys', '');
  if (s.steps.length === 0) out.push(...[1, 2, 3, 4, 5].map((n) => `${n}. **Why?** _to be answered_`));
  else
    out.push(
      ...s.steps.map(
        (step, i) => `${i + 1}. **Why?** ${inline(step.why_question)} -> ${step.answer ? inline(step.answer) : '_Awaiting answer_'}`,
      ),
    );
  out.push('', `**Root Cause:** ${rootCause(s.steps) ? inline(rootCause(s.steps)!) : '_not identified yet_'}`, '');

  out.push(
    '## Contributing Factors',
    '',
    '_Blameless: describe systems and processes, not people._',
    '',
    '- _Factor 1_',
    '- _Factor 2_',
    '- _Factor 3_',
    '',
  );
  out.push('## What Went Well', '');
  const answered = s.steps.filter((step) => step.answer).length;
  if (s.steps.length) out.push(`- Systematic 5-whys analysis conducted (${answered} of ${s.steps.length} steps answered)`);
  if (rootCause(s.steps)) out.push('- Root cause was identified during triage');
  out.push('- _add more_', '');
  out.push('## What Could Be Improved', '', '- _add items_', '');
  out.push('## Action Items', '', '| Priority | Action | Owner | Due Date | Status |', '|---|---|---|---|---|');
  out.push(...['P0', 'P1', 'P2'].map((p) => `| ${p} | _action_ | _owner_ | _date_ | Open |`), '');
  if (s.logFiles.length) {
    out.push(
      '## Appendix: Log Files',
      '',
      ...s.logFiles.map(
        (f) =>
          `- \`${f.file_name.replace(/`/g, "'")}\` (${f.file_size ?? '?'} bytes, redacted: ${f.redacted ? 'yes' : 'no'}, sha256 ${shortHash(f.content_hash)})`,
      ),
      '',
    );
  }
  out.push(footer(s.generatedAt));
  return out.join('\n');
}

/** The last step's answer, when it has one: the deepest why is the root cause. */
function rootCause(steps: ResolutionStep[]): string | null {
  const last = steps[steps.length - 1];
  return last?.answer?.trim() || null;
}

/** First to last event, as `Xd Yh`, `Xh Ym` or `Xm`; N/A with fewer than two events. */
export function timelineDuration(events: TimelineEvent[]): string {
  if (events.length < 2) return 'N/A';
  return formatDuration(parseTs(events[events.length - 1].timestamp) - parseTs(events[0].timestamp)) ?? 'N/A';
}

export function formatDuration(ms: number): string | null {
  if (!Number.isFinite(ms) || ms < 0) return null;
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return `${minutes}m`;
}

function parseTs(ts: string): number {
  return Date.parse(`${ts.replace(' ', 'T')}Z`);
}

function shortHash(hash: string | null): string {
  return hash ? `\`${hash.slice(0, 8)}...\`` : '_pending_';
}

/** A value inside a table cell: one line, pipes escaped. */
function cell(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/** A value inside a heading or list line: one line. */
function inline(value: string): string {
  return value.replace(/\r?\n/g, ' ');
}

function footer(at: Date): string {
  return `---\n\n_Generated by TFTSR on ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC_\n`;
}

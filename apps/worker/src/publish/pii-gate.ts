import { createHash } from 'node:crypto';
import { markdownToHtml } from '@tftsr/integrations';
import type { GateFinding, GateMode, PiiConfig, PiiType } from '@tftsr/pii';
import { exitGate } from '@tftsr/pii';

export type { GateFinding, GateMode };

export type PublishGateResult =
  | { verdict: 'clean'; title: string; markdown: string; html: string }
  | { verdict: 'redacted'; title: string; markdown: string; html: string; types: PiiType[]; findings: number }
  | { verdict: 'blocked'; findings: GateFinding[]; types: PiiType[] };

/**
 * The publishing side of the one exit gate (libs/pii exitGate): the title, the Markdown and every other field
 * sent (`fields`: severity, options) are scanned as written and as rendered; `redact` rewrites the text fields,
 * then the HTML rendered from them, which is what most targets receive, is scanned too and blocks if anything
 * shows there (a value split by emphasis, say). The desktop app sent raw issue text to every target.
 */
export function piiGate(
  title: string,
  markdown: string,
  config: PiiConfig,
  mode: GateMode,
  fields: Record<string, string> = {},
): PublishGateResult {
  const extra = Object.fromEntries(Object.entries(fields).map(([name, text]) => [name, { kind: 'text', text }]));
  const written = exitGate(
    { ...extra, title: { kind: 'text', text: title }, content_md: { kind: 'markdown', text: markdown } },
    config,
    mode,
  );
  if (written.verdict === 'blocked') return { verdict: 'blocked', findings: written.findings, types: written.types };
  const sent = { title: written.fields.title, markdown: written.fields.content_md, html: markdownToHtml(written.fields.content_md) };
  const rendered = exitGate({ html: { kind: 'html', text: sent.html } }, config, 'block');
  if (rendered.verdict === 'blocked') return { verdict: 'blocked', findings: rendered.findings, types: rendered.types };
  return written.verdict === 'clean'
    ? { verdict: 'clean', ...sent }
    : { verdict: 'redacted', ...sent, types: written.types, findings: written.count };
}

/** `publications.sent_sha256`: what exactly went out, for the audit. */
export function sentHash(title: string, body: string): string {
  return createHash('sha256').update(title, 'utf8').update('\0').update(body, 'utf8').digest('hex');
}

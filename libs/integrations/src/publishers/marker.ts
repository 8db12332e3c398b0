/**
 * The publication marker: every HTML body we send ends with this footer, so a retry whose create answer was lost
 * can recognise its own object, and a human's object with the same title is never mistaken for ours.
 */
export function markerFooter(publicationId: string): string {
  return `<p><em>Published by TFTSR · publication ${escapeHtml(publicationId)}</em></p>`;
}

export function withMarker(html: string, publicationId: string): string {
  return `${html}\n${markerFooter(publicationId)}`;
}

/** Keyed on `publication <id>` alone: a service may re-encode the middle dot or the markup around it. */
export function hasMarker(body: string, publicationId: string): boolean {
  return body.includes(`publication ${escapeHtml(publicationId)}`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Our four severities, as the document carries them; anything else is treated as medium. */
export type Severity = 'critical' | 'high' | 'medium' | 'low';

export function normalSeverity(value: string): Severity {
  const v = value.trim().toLowerCase();
  return v === 'critical' || v === 'high' || v === 'low' ? v : 'medium';
}

/** Cuts to at most `max` characters (code points), marking the cut; services reject or truncate longer titles. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

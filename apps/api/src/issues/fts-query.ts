import { DomainError, ErrorCode } from '../common/domain-error';

export const MAX_SEARCH_TERMS = 32;

/**
 * Turns what a user typed into an FTS5 MATCH expression that means only "all of these words". Binding
 * does not escape FTS5 syntax, so each whitespace-separated term becomes a quoted phrase (quotes doubled):
 * `OR`, `NEAR(`, `col:term` and `-` are then plain text. A trailing `*` keeps its prefix meaning.
 */
export function toFtsQuery(q: string): string {
  // FTS5 reads a NUL as the end of the string ("unterminated string"); control characters are separators anyway.
  const terms = q
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .split(/\s+/u)
    .filter((t) => t !== '');
  const phrases: string[] = [];
  for (const term of terms) {
    const body = term.replace(/\*+$/, '');
    if (body === '') continue;
    phrases.push(`"${body.replace(/"/g, '""')}"${body.length < term.length ? '*' : ''}`);
  }
  if (phrases.length === 0) throw new DomainError(ErrorCode.INVALID_SEARCH_QUERY, 'q has no term to search for');
  if (phrases.length > MAX_SEARCH_TERMS) {
    throw new DomainError(ErrorCode.INVALID_SEARCH_QUERY, `q has more than ${MAX_SEARCH_TERMS} terms`, { max_terms: MAX_SEARCH_TERMS });
  }
  return phrases.join(' ');
}

/** The snippet is HTML: the text escaped, each match in <mark>. */
export function snippetToHtml(snippet: string, open: string, close: string): string {
  const escaped = snippet.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return escaped.split(open).join('<mark>').split(close).join('</mark>');
}

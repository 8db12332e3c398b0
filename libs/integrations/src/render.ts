import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Raw HTML in the Markdown is escaped, not passed through; links keep markdown-it's own scheme check.
const markdown = new MarkdownIt({ html: false, xhtmlOut: true, linkify: false, typographer: false });

// An image becomes a link to it: no target shows remote images from a document (Confluence wants ac:image, the
// sanitiser drops <img>), and a link keeps the reference a reader can follow.
markdown.renderer.rules.image = (tokens, idx, _options, env, self) => {
  const token = tokens[idx];
  const src = String(token.attrGet('src') ?? '');
  const alt = self.renderInlineAsText(token.children ?? [], markdown.options, env) || src;
  return `<a href="${markdown.utils.escapeHtml(src)}">${markdown.utils.escapeHtml(alt)}</a>`;
};

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'p',
    'br',
    'hr',
    'strong',
    'em',
    's',
    'del',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'a',
  ],
  allowedAttributes: { a: ['href', 'title'], ol: ['start'], th: ['style'], td: ['style'] },
  allowedStyles: { '*': { 'text-align': [/^(left|right|center)$/] } },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  selfClosing: ['br', 'hr'],
};

/**
 * ANSI escape sequences as terminals print them: CSI (`ESC[31m`, also the one-byte C1 CSI), OSC (`ESC]...BEL`
 * or `ESC]...ESC\\`, e.g. hyperlinks and window titles) and the two-byte escapes. Pasted terminal output is the
 * most ordinary content an RCA has, and ESC is a character XML 1.0 forbids.
 */
const ANSI = /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/**
 * Every UTF-16 code unit XML 1.0 does not allow (`Char` production): C0 controls but tab, LF and CR; U+FFFE and
 * U+FFFF; a high surrogate not followed by a low one, and a low surrogate not preceded by a high one.
 */
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** What a forbidden character becomes: visible, so a reader sees that something was there. */
export const FORBIDDEN_CHAR_MARKER = '\ufffd';

/**
 * Text any target can carry: ANSI escape sequences removed, every other character XML 1.0 forbids (form feed,
 * backspace, bell, U+FFFE, lone surrogates...) replaced by U+FFFD. Confluence answers `400 Error parsing xhtml`
 * to a body with any of them.
 */
export function cleanText(text: string): string {
  return text.replace(ANSI, '').replace(XML_FORBIDDEN, FORBIDDEN_CHAR_MARKER);
}

/**
 * Markdown to sanitised XHTML: the export's HTML, Confluence's storage format and the HTML fields of Azure
 * DevOps and ServiceNow. Well-formed (void elements self-closed), only an allow-list of tags and attributes,
 * only http(s) and mailto links: the text comes from users and, through the documents, from logs.
 */
export function markdownToHtml(md: string): string {
  // Cleaned on the way in (what the author wrote) and on the way out (what an entity like &#27; decoded to).
  return cleanText(sanitizeHtml(markdown.render(cleanText(md)), SANITIZE).trim());
}

/** A standalone HTML page for the export download: the rendered body and nothing that runs. */
export function htmlPage(title: string, md: string): string {
  const escapedTitle = sanitizeHtml(title, { allowedTags: [], allowedAttributes: {}, disallowedTagsMode: 'escape' });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8" />',
    `<title>${escapedTitle}</title>`,
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'" />',
    '</head><body>',
    markdownToHtml(md),
    '</body></html>',
    '',
  ].join('\n');
}

type Token = ReturnType<typeof markdown.parse>[number];

/**
 * Markdown to plain text, for fields that show text as typed (a ServiceNow incident's description, work notes
 * and close notes): no markup left, entities decoded (`&copy;` is ©), tables as aligned columns instead of
 * pipes, links and images as `text (url)`, code kept verbatim and indented.
 */
export function markdownToText(md: string): string {
  const blocks: string[] = [];
  const lists: Array<{ ordered: boolean; next: number; items: number }> = [];
  let bullet: string | null = null;
  let quote = 0;
  let table: string[][] | null = null;
  let row: string[] = [];
  let headerRows = 0;
  const emit = (text: string, tight = false) => {
    const indent = '  '.repeat(Math.max(0, lists.length - 1));
    const lead = bullet ?? (lists.length > 0 ? '  ' : '');
    bullet = null;
    const lines = text
      .split('\n')
      .map((line, i) => `${'> '.repeat(quote)}${i === 0 ? indent + lead : indent + ' '.repeat(lead.length)}${line}`);
    blocks.push((tight && blocks.length > 0 ? '\u0000' : '') + lines.join('\n'));
  };
  for (const token of markdown.parse(cleanText(md), {})) {
    switch (token.type) {
      case 'bullet_list_open':
        lists.push({ ordered: false, next: 0, items: 0 });
        break;
      case 'ordered_list_open':
        lists.push({ ordered: true, next: Number(token.attrGet('start') ?? 1), items: 0 });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        bullet = list.ordered ? `${list.next++}. ` : '- ';
        list.items += 1;
        break;
      }
      case 'blockquote_open':
        quote += 1;
        break;
      case 'blockquote_close':
        quote -= 1;
        break;
      case 'table_open':
        table = [];
        break;
      case 'tr_open':
        row = [];
        break;
      case 'tr_close':
        table?.push(row);
        break;
      case 'thead_close':
        headerRows = table?.length ?? 0;
        break;
      case 'table_close':
        if (table) emit(alignTable(table, headerRows));
        table = null;
        break;
      case 'inline':
        if (table)
          row.push(
            inlineText(token.children ?? [])
              .replace(/\s+/g, ' ')
              .trim(),
          );
        // An item's first line follows the previous item (or its parent item) directly; other blocks get a blank line.
        else emit(inlineText(token.children ?? []), bullet !== null && (lists[lists.length - 1].items > 1 || lists.length > 1));
        break;
      case 'fence':
      case 'code_block':
        emit(
          token.content
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => `    ${l}`)
            .join('\n'),
        );
        break;
      case 'hr':
        emit('----------');
        break;
    }
  }
  return blocks
    .join('\n\n')
    .replace(/\n\n\u0000/g, '\n')
    .trim();
}

function inlineText(tokens: Token[]): string {
  let out = '';
  const hrefs: Array<{ href: string; start: number }> = [];
  for (const token of tokens) {
    if (token.type === 'text' || token.type === 'code_inline') out += token.content;
    else if (token.type === 'softbreak') out += ' ';
    else if (token.type === 'hardbreak') out += '\n';
    else if (token.type === 'link_open') hrefs.push({ href: String(token.attrGet('href') ?? ''), start: out.length });
    else if (token.type === 'link_close') {
      const link = hrefs.pop();
      if (link && link.href && out.slice(link.start) !== link.href) out += ` (${link.href})`;
    } else if (token.type === 'image') {
      const src = String(token.attrGet('src') ?? '');
      const alt = inlineText(token.children ?? []);
      out += alt && alt !== src ? `${alt} (${src})` : src;
    }
  }
  return out;
}

/** Columns padded to their widest cell, the header underlined: readable in a plain-text field. */
function alignTable(rows: string[][], headerRows: number): string {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(3, ...rows.map((r) => Array.from(r[c] ?? '').length)));
  const line = (cells: string[]) =>
    widths
      .map((w, c) => (cells[c] ?? '') + ' '.repeat(w - Array.from(cells[c] ?? '').length))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  rows.forEach((r, i) => {
    out.push(line(r));
    if (i === headerRows - 1) out.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  return out.join('\n');
}

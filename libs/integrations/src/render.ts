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
  allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a'],
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
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

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

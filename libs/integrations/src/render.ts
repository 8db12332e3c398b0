import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

// Raw HTML in the Markdown is escaped, not passed through; links keep markdown-it's own scheme check.
const markdown = new MarkdownIt({ html: false, xhtmlOut: true, linkify: false, typographer: false });

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
 * Markdown to sanitised XHTML: the export's HTML, Confluence's storage format and the HTML fields of Azure
 * DevOps and ServiceNow. Well-formed (void elements self-closed), only an allow-list of tags and attributes,
 * only http(s) and mailto links: the text comes from users and, through the documents, from logs.
 */
export function markdownToHtml(md: string): string {
  return sanitizeHtml(markdown.render(md), SANITIZE).trim();
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

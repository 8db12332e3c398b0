const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `attachment` with the name twice: an ASCII fallback in quotes, and the exact name in RFC 8187 form. Quotes,
 * backslashes, control characters and CR/LF can never reach the header raw.
 */
export function attachmentDisposition(fileName: string): string {
  // encodeURIComponent throws on a lone surrogate, which JSON can carry.
  const name = fileName.replace(LONE_SURROGATE, '\ufffd');
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

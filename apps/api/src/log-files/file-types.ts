import { extname } from 'node:path';

/** The desktop app's text extensions (shared/reference/desktop-app.md §3.2); its binary ones need extractors we do not ship. */
const TEXT_EXTENSIONS = new Set(
  'log txt out err syslog journal yaml yml json toml xml ini cfg conf config env properties md markdown rst csv tsv ndjson jsonl sql sh bash zsh py js ts rb go rs java html htm css diff patch rtf'.split(
    ' ',
  ),
);

const MIME: Record<string, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  jsonl: 'application/x-ndjson',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  xml: 'application/xml',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
};

export interface FileKind {
  /** The name without a trailing .gz, as stored. */
  storedName: string;
  extension: string;
  gzipped: boolean;
  mimeType: string;
}

const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;

/** The client's name reduced to harmless metadata: no directories, control or direction characters, ≤ 255 chars. */
export function sanitiseFileName(raw: string): string {
  const base = raw.replace(/\\/g, '/').split('/').pop() ?? '';
  const clean = base.replace(CONTROL_OR_BIDI, '').trim();
  return Array.from(clean).slice(-255).join('') || 'unnamed';
}

/** What the name says the file is; null when the type is not accepted. */
export function classify(fileName: string): FileKind | null {
  const lower = fileName.toLowerCase();
  const gzipped = lower.endsWith('.gz');
  const storedName = gzipped ? fileName.slice(0, -3) : fileName;
  const extension = extname(storedName).slice(1).toLowerCase();
  if (!TEXT_EXTENSIONS.has(extension)) return null;
  return { storedName, extension, gzipped, mimeType: MIME[extension] ?? 'text/plain' };
}

export const ACCEPTED_EXTENSIONS = [...TEXT_EXTENSIONS].sort();

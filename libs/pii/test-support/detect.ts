import { scanBuffer } from '../src/scanner';
import type { PiiConfig, PiiType } from '../src/pii-types';

export interface Found {
  type: PiiType;
  value: string;
}

/** What a scan of `text` reports, as type and original value (UTF-8). */
export function detect(text: string | Buffer, config?: PiiConfig): Found[] {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  return scanBuffer(bytes, config).map((s) => ({ type: s.pii_type, value: s.original.toString('utf8') }));
}

/** The type of the span covering `value` inside `text`, or undefined when no span covers it. */
export function typeCovering(text: string, value: string, config?: PiiConfig): PiiType | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const start = bytes.indexOf(Buffer.from(value, 'utf8'));
  if (start < 0) throw new Error(`"${value}" is not in "${text}"`);
  const end = start + Buffer.byteLength(value);
  return scanBuffer(bytes, config).find((s) => s.start <= start && s.end >= end)?.pii_type;
}

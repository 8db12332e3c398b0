import type { PiiType } from '../pii-types';

/** A piece of a generated log line; `type` marks an injected value (its bytes are the labelled range). */
export interface Segment {
  text: string | Buffer;
  type?: PiiType;
}

export function plain(text: string | Buffer): Segment {
  return { text };
}

export function pii(type: PiiType, text: string): Segment {
  return { type, text };
}

/** Splits a template like `password={v}` around a labelled value. */
export function around(template: string, type: PiiType, value: string): Segment[] {
  const at = template.indexOf('{v}');
  return [plain(template.slice(0, at)), pii(type, value), plain(template.slice(at + 3))];
}

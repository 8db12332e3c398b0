import type { PiiType } from './pii-types';

const STARS = '***';

/** First and last character around stars; short values show one character or none. */
function maskPart(chars: string[]): string {
  if (chars.length >= 8) return `${chars[0]}${STARS}${chars[chars.length - 1]}`;
  if (chars.length >= 3) return `${chars[0]}${STARS}`;
  return STARS;
}

/**
 * A reviewer's view of a detected value: enough to recognise it, never more than a couple of characters.
 * Emails keep their shape and TLD (`j***@e***.com`); everything else shows at most its first and last character.
 */
export function maskValue(type: PiiType, original: string | Buffer): string {
  const value = typeof original === 'string' ? original : original.toString('utf8');
  if (type === 'Email') {
    const at = value.lastIndexOf('@');
    const dot = value.lastIndexOf('.');
    if (at > 0 && dot > at + 1) {
      const local = Array.from(value.slice(0, at));
      const domain = Array.from(value.slice(at + 1, dot));
      return `${local[0]}${STARS}@${domain[0]}${STARS}${value.slice(dot)}`;
    }
  }
  // Code points, so a multi-byte character is shown whole or not at all.
  return maskPart(Array.from(value));
}

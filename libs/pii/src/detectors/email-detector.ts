import { type Detector, hit, isAlnum } from './detector';

function isLocalPartChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;
}

function isDomainChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 46;
}

function isLetters(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (((text.charCodeAt(i) | 32) - 97) >>> 0 > 25) return false;
  return true;
}

/** local@domain.tld; found from the `@`, which is rare in logs, so the pass costs almost nothing. */
export const emailDetector: Detector = {
  name: 'email',
  types: ['Email'],
  maxSpan: 260,
  maxBack: 64,
  scan(text, from, limit, out) {
    let pos = from;
    for (;;) {
      const at = text.indexOf('@', pos);
      if (at < 0 || at >= limit) return pos;
      pos = at + 1;
      let start = at;
      while (start > at - 64 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
      while (start < at && text.charCodeAt(start) === 46) start++;
      let end = at + 1;
      while (end < at + 254 && isDomainChar(text.charCodeAt(end))) end++;
      while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
      let dot = end - 1;
      while (dot > at && text.charCodeAt(dot) !== 46) dot--;
      const next = text.charCodeAt(end);
      if (start === at || dot <= at + 1 || next === 95 || next === 64 || end - dot - 1 < 2) continue;
      if (!isLetters(text, dot + 1, end) || text.slice(at + 1, end).includes('..')) continue;
      out.push(hit('Email', start, end));
      pos = end;
    }
  },
};

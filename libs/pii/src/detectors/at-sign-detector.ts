import { type Detector, type Hit, hit, isAlnum, scanLiterals } from './detector';
import { URL_MAX_BACK, URL_MAX_SPAN, urlWithCredentialsAt } from './url-detector';

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

function emailAt(text: string, at: number, out: Hit[]): number {
  let start = at;
  while (start > at - 64 && isLocalPartChar(text.charCodeAt(start - 1))) start--;
  while (start < at && text.charCodeAt(start) === 46) start++;
  let end = at + 1;
  while (end < at + 254 && isDomainChar(text.charCodeAt(end))) end++;
  while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
  let dot = end - 1;
  while (dot > at && text.charCodeAt(dot) !== 46) dot--;
  const next = text.charCodeAt(end);
  if (start === at || dot <= at + 1 || next === 95 || next === 64 || end - dot - 1 < 2) return at + 1;
  if (!isLetters(text, dot + 1, end) || text.slice(at + 1, end).includes('..')) return at + 1;
  out.push(hit('Email', start, end));
  return end;
}

/**
 * E-mail addresses and URLs with credentials, both found from the "@", which is rare in logs: the pass costs
 * almost nothing. An "@" in a URL's user-info is the URL's; any other is tried as an address.
 */
export const atSignDetector: Detector = {
  name: 'at-sign',
  types: ['URL', 'Email'],
  maxSpan: URL_MAX_SPAN + 16,
  maxBack: URL_MAX_BACK,
  scan(text, from, limit, out) {
    return scanLiterals(['@'], text, from, limit, (at) => {
      const urlEnd = urlWithCredentialsAt(text, at, out);
      return urlEnd >= 0 ? urlEnd : emailAt(text, at, out);
    });
  },
};

import { isPlaceholder } from '../validators';
import { type Detector, hit, isAlnum } from './detector';

const SCHEME_MAX = 32;
const AUTHORITY_MAX = 512;
const URL_MAX = 2048;

function isSchemeChar(c: number): boolean {
  return isAlnum(c) || c === 43 || c === 45 || c === 46;
}

function isLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

// Characters that cannot occur unencoded in a URL as written in a log line.
function isUrlStop(c: number): boolean {
  return !(c > 32) || c === 127 || c === 34 || c === 39 || c === 60 || c === 62 || c === 96 || c === 92;
}

function isAuthorityStop(c: number): boolean {
  return isUrlStop(c) || c === 47 || c === 63 || c === 35;
}

/** Trailing sentence punctuation and unbalanced closing brackets are not part of a URL in prose. */
function trimUrlEnd(text: string, start: number, end: number): number {
  for (;;) {
    const c = text.charCodeAt(end - 1);
    if (c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63) end--;
    else if (c === 41 && !text.slice(start, end).includes('(')) end--;
    else if (c === 93 && !text.slice(start, end).includes('[')) end--;
    else if (c === 125 && !text.slice(start, end).includes('{')) end--;
    else return end;
  }
}

/**
 * scheme://user:password@host… The span covers the whole URL, not just the user-info as in the desktop app,
 * because the host and path next to a leaked password are just as identifying.
 */
export const urlCredentialsDetector: Detector = {
  name: 'url-credentials',
  types: ['URL'],
  maxSpan: URL_MAX + 16,
  maxBack: SCHEME_MAX,
  scan(text, from, limit, out) {
    let pos = from;
    for (;;) {
      const sep = text.indexOf('://', pos);
      if (sep < 0 || sep >= limit) return pos;
      pos = sep + 3;
      let start = sep;
      while (start > sep - SCHEME_MAX && isSchemeChar(text.charCodeAt(start - 1))) start--;
      while (start < sep && !isLetter(text.charCodeAt(start))) start++;
      if (start === sep) continue;
      const userInfo = sep + 3;
      let authEnd = userInfo;
      while (authEnd < userInfo + AUTHORITY_MAX && !isAuthorityStop(text.charCodeAt(authEnd))) authEnd++;
      let at = authEnd - 1;
      while (at > userInfo && text.charCodeAt(at) !== 64) at--;
      if (at <= userInfo || at + 1 >= authEnd) continue;
      const colon = text.indexOf(':', userInfo);
      if (colon < 0 || colon + 1 >= at || isPlaceholder(text.slice(colon + 1, at))) continue;
      let end = at + 1;
      while (end < start + URL_MAX && !isUrlStop(text.charCodeAt(end))) end++;
      end = trimUrlEnd(text, start, end);
      if (end <= at + 1) continue;
      out.push(hit('URL', start, end, userInfo, at));
      pos = end;
    }
  },
};

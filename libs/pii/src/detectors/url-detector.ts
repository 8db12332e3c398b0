import { isPlaceholder } from '../validators';
import { type Hit, hit, isAlnum } from './detector';

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

/** A host ([v6], a name or an address) can start at `i`. */
function hostStarts(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return isAlnum(c) || c === 91;
}

/**
 * The URL around the "://" at `sep` if it carries a password: its end, or -1. Passwords are often written
 * without percent-encoding, so "#", "/", "?" and "@" may sit inside one: the user-info runs to the last "@"
 * before a host, not to the first authority delimiter (RFC 3986 would end it at "p#").
 */
function urlAt(text: string, sep: number, out: Hit[]): number {
  let start = sep;
  while (start > sep - SCHEME_MAX && isSchemeChar(text.charCodeAt(start - 1))) start--;
  while (start < sep && !isLetter(text.charCodeAt(start))) start++;
  const userInfo = sep + 3;
  if (start === sep) return -1;
  let colon = -1;
  let at = -1;
  for (let i = userInfo; i < userInfo + AUTHORITY_MAX && !isUrlStop(text.charCodeAt(i)); i++) {
    const c = text.charCodeAt(i);
    if (c === 58 && colon < 0) {
      colon = i;
    } else if (colon < 0 && (c === 47 || c === 63 || c === 35)) {
      return -1; // a path before any ":": no user-info, or a user name without a password
    } else if (c === 64 && colon >= 0 && hostStarts(text, i + 1)) {
      at = i;
    }
  }
  if (colon < 0 || at < 0 || colon + 1 >= at) return -1;
  const password = text.slice(colon + 1, at);
  // "host:8080/users/bob@example.com" is a port and a path with an address in it, not a password.
  if (isPlaceholder(password) || /^\d{1,5}(?:[/?#]|$)/.test(password)) return -1;
  let end = at + 1;
  while (end < start + URL_MAX && !isUrlStop(text.charCodeAt(end))) end++;
  end = trimUrlEnd(text, start, end);
  if (end <= at + 1) return -1;
  out.push(hit('URL', start, end, userInfo, at));
  return end;
}

/**
 * scheme://user:password@host… found from an "@" (the pass for e-mail addresses): ":" is too common in logs
 * for a "://" pass to be cheap. Returns the URL's end, or -1 when the "@" is not in a URL's user-info. The span
 * covers the whole URL, not just the user-info as in the desktop app: the host and path next to a leaked
 * password are just as identifying. The back-scan crosses "/", "?" and "#", which unencoded passwords hold.
 */
export function urlWithCredentialsAt(text: string, at: number, out: Hit[]): number {
  let i = at - 1;
  while (i > at - AUTHORITY_MAX && !isUrlStop(text.charCodeAt(i))) {
    if (text.charCodeAt(i) === 47 && text.charCodeAt(i - 1) === 47 && text.charCodeAt(i - 2) === 58) return urlAt(text, i - 2, out);
    i--;
  }
  return -1;
}

/** Longest distance from an "@" back to the start of its URL, and from it to the URL's end. */
export const URL_MAX_BACK = AUTHORITY_MAX + 3 + SCHEME_MAX;
export const URL_MAX_SPAN = URL_MAX;

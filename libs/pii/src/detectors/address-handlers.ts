import { ipv6Valid } from '../validators';
import { type Hit, hit, isAlnum, isDigit, isHex, isWord, matchAt } from './detector';

/** Handlers for the address pass (address-detector.ts): each gets the anchor position and returns where to resume. */

const MAC_DASH_RE = /[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}/y;
const MAC_COLON_RE = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;
export const IPV6_SCAN_MAX = 64;

function isZoneChar(c: number): boolean {
  return isAlnum(c) || c === 46 || c === 95 || c === 126 || c === 45;
}

function mixedCase(s: string): boolean {
  return /[a-f]/.test(s) && /[A-F]/.test(s);
}

/** An IPv6 address (compressed, embedded IPv4, %zone) or a colon-separated MAC around a colon anchor. */
export function colonCandidateAt(text: string, anchor: number, out: Hit[]): number {
  let start = anchor;
  while (start > anchor - 40 && (isHex(text.charCodeAt(start - 1)) || text.charCodeAt(start - 1) === 58)) start--;
  let end = anchor;
  while (end < start + IPV6_SCAN_MAX) {
    const c = text.charCodeAt(end);
    if (!isHex(c) && c !== 58 && c !== 46) break;
    end++;
  }
  const scanned = end;
  // In "…:0:2181:FastLeaderElection" the hex letters "Fa" start a word; the address ends before them.
  if (isWord(text.charCodeAt(end))) while (end > start && text.charCodeAt(end - 1) !== 58) end--;
  while (text.charCodeAt(end - 1) === 46) end--;
  if (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58) end--;
  const before = text.charCodeAt(start - 1);
  if (isWord(before) || before === 46) return scanned;
  // Cheap reject for times like 22:15:29:606: a MAC has five colons, an address without "::" six or more.
  let colons = 0;
  let compressed = false;
  for (let k = start; k < end; k++) {
    if (text.charCodeAt(k) !== 58) continue;
    colons++;
    if (text.charCodeAt(k + 1) === 58) compressed = true;
  }
  if (!compressed && colons < 5) return scanned;
  const candidate = text.slice(start, end);
  if (MAC_COLON_RE.test(candidate)) {
    if (!isWord(text.charCodeAt(end)) && text.charCodeAt(end) !== 58) out.push(hit('MAC', start, end));
    return scanned;
  }
  // Two-digit hex groups throughout (50:01:43:80:12:34:56:78) are a WWN, EUI-64 or fingerprint, not an address.
  if (!/\d/.test(candidate) || mixedCase(candidate) || candidate === '::' || /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$/.test(candidate)) {
    return scanned;
  }
  if (!ipv6Valid(candidate)) {
    // Unbracketed "address:port" with a full eight-group address.
    const port = /:\d{1,5}$/.exec(candidate);
    if (port === null || candidate.includes('::') || !ipv6Valid(candidate.slice(0, port.index))) return scanned;
    end -= port[0].length;
  }
  if (text.charCodeAt(end) === 37 && isZoneChar(text.charCodeAt(end + 1))) {
    end++;
    while (end < start + IPV6_SCAN_MAX + 32 && isZoneChar(text.charCodeAt(end))) end++;
  } else if (isWord(text.charCodeAt(end))) {
    return scanned;
  }
  out.push(hit('IPv6', start, end));
  return Math.max(end, scanned);
}

function isSeparator(c: number): boolean {
  return c === 45 || c === 46 || c === 58;
}

/** 00-1A-2B-3C-4D-5E, found from its second dash. */
export function dashMacAt(text: string, anchor: number, out: Hit[]): number {
  const start = anchor - 2;
  const m = matchAt(MAC_DASH_RE, text, start);
  if (m === null) return anchor + 1;
  const end = start + m[0].length;
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  if (isWord(before) || isSeparator(before) || isWord(after) || (isSeparator(after) && isHex(text.charCodeAt(end + 1)))) {
    return anchor + 1;
  }
  out.push(hit('MAC', start, end));
  return end;
}

const CISCO_MAC_RE = /[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}/y;
// "version 1.2.3.4" is a four-part version number, not an address.
const VERSION_BEFORE_RE = /(?:version|ver|rev|release|build)[\s:=.]{0,3}$/i;

function versionBefore(text: string, start: number): boolean {
  let i = start - 1;
  while (i > start - 4 && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 58 || text.charCodeAt(i) === 61)) i--;
  const last = text.charCodeAt(i) | 32;
  // Cheap gate: every keyword ends in n, r, v, e or d.
  if (last !== 110 && last !== 114 && last !== 118 && last !== 101 && last !== 100) return false;
  return VERSION_BEFORE_RE.test(text.slice(Math.max(0, start - 12), start));
}

/** End of a dotted quad with octets 0-255 at `start` (leading zeros allowed), or -1. No regex: this runs a lot. */
function dottedQuadEnd(text: string, start: number): number {
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0 && text.charCodeAt(i++) !== 46) return -1;
    let value = 0;
    const first = i;
    while (i < first + 3 && isDigit(text.charCodeAt(i))) value = value * 10 + text.charCodeAt(i++) - 48;
    if (i === first || value > 255) return -1;
  }
  return i;
}

export function ipv4At(text: string, dot: number, out: Hit[]): number {
  let start = dot;
  while (start > dot - 3 && isDigit(text.charCodeAt(start - 1))) start--;
  const before = text.charCodeAt(start - 1);
  const end = dottedQuadEnd(text, start);
  if (end < 0 || isWord(before)) return dot + 1;
  const after = text.charCodeAt(end);
  // 1.2.3.4.5 and 10.0.0.1234 are not addresses, nor is any part of them; neither is the 059.45.101.203
  // inside host name dsl-059.45.101.203.example.net, nor a version after "~" (amd64~~6.1.1.0).
  if (before === 46 || before === 126 || isWord(after) || (after === 46 && isAlnum(text.charCodeAt(end + 1)))) {
    return dot + 1;
  }
  if (versionBefore(text, start)) return end;
  out.push(hit('IPv4', start, end));
  return end;
}

export function ciscoMacAt(text: string, dot: number, out: Hit[]): number {
  const start = dot - 4;
  const m = matchAt(CISCO_MAC_RE, text, start);
  if (m === null) return dot + 1;
  const end = start + m[0].length;
  const before = text.charCodeAt(start - 1);
  const after = text.charCodeAt(end);
  // Digits alone are a MAC too (0012.3456.7890, an OUI of all digits): the three 4-groups shape is what counts.
  if (isWord(before) || before === 46 || before === 45 || before === 58 || isWord(after)) return dot + 1;
  if (versionBefore(text, start)) return end;
  if ((after === 46 || after === 45 || after === 58) && isHex(text.charCodeAt(end + 1))) return dot + 1;
  out.push(hit('MAC', start, end));
  return end;
}

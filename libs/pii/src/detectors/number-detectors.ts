import { cardShapeValid, ibanLength, ibanValid, luhnValid, ssnValid } from '../validators';
import { type Detector, type Hit, hit, isAlnum, isDigit, isWord, matchAt, scanAnchors, scanLiterals } from './detector';

/**
 * One pass for the digit-led shapes: an SSN (3-2-4), a North American phone number (3-3-4, one separator
 * throughout) and a card number (13 digits in a row, or 4 digits and a separator). Atoms are written out one by
 * one: irregexp skips ahead on explicit atoms but not on \d{13}, which is 5x slower. The leading \b costs nothing
 * and spares the handlers the three quarters of candidates that start inside a number.
 */
const DIGIT_ANCHOR_RE = /\b\d\d\d(?:-\d\d-\d\d\d\d|[-. ]\d\d\d[-. ]\d\d\d\d|\d(?:\d\d\d\d\d\d\d\d\d|[ -]\d\d\d\d))/g;

/** A separator followed by a digit: the number carries on, so what matched is only part of it. */
function continuesNumber(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c === 45 || c === 46 || c === 32) && isDigit(text.charCodeAt(i + 1));
}

/** ddd-dd-dddd (11 characters) or ddd?ddd?dddd (12, one separator throughout). */
function ssnOrNanpAt(text: string, i: number, end: number, out: Hit[]): number {
  const before = text.charCodeAt(i - 1);
  if (isWord(text.charCodeAt(end)) || continuesNumber(text, end) || isWord(before)) return i + 1;
  if (end - i === 11) {
    if (before === 45 || before === 46 || !ssnValid(text.slice(i, i + 3) + text.slice(i + 4, i + 6) + text.slice(i + 7, end))) return i + 1;
    out.push(hit('SSN', i, end));
    return end;
  }
  const sep = text.charCodeAt(i + 3);
  if (text.charCodeAt(i + 7) !== sep) return i + 1;
  let start = i;
  // A trunk prefix "1-" or "+1." belongs to the number; any other number before it makes this a column of figures.
  if (before === sep && text.charCodeAt(i - 2) === 49 && !isWord(text.charCodeAt(i - 3))) {
    start = text.charCodeAt(i - 3) === 43 ? i - 3 : i - 2;
  } else if (before === 45 || before === 46 || before === 43 || ((before === 32 || before === 44) && isDigit(text.charCodeAt(i - 2)))) {
    return i + 1;
  }
  out.push(hit('Phone', start, end));
  return end;
}

export const digitDetector: Detector = {
  name: 'digits',
  types: ['SSN', 'Phone', 'CreditCard'],
  maxSpan: 32,
  maxBack: 3,
  scan(text, from, limit, out) {
    return scanAnchors(DIGIT_ANCHOR_RE, text, from, limit, (m) =>
      isDigit(text.charCodeAt(m.index + 3)) ? cardAt(text, m.index, out) : ssnOrNanpAt(text, m.index, m.index + m[0].length, out),
    );
  },
};

const PHONE_GROUP_RE = /[ .-]?(?:\(\d{1,4}\)|\d{1,14})/y;
const PAREN_PHONE_RE = /\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}/y;
const PHONE_MAX = 40;

/** +CC then digit groups: 8 to 15 digits in all (E.164); a blank after ten digits ends the number. */
function internationalPhoneAt(text: string, i: number, out: Hit[]): number {
  const first = text.charCodeAt(i + 1);
  if (first < 49 || first > 57 || isWord(text.charCodeAt(i - 1)) || text.charCodeAt(i - 1) === 43) return i + 1;
  let pos = i + 1;
  let digits = 0;
  for (let groups = 0; groups < 8; groups++) {
    const g = matchAt(PHONE_GROUP_RE, text, pos);
    if (g === null || (groups === 0 && !isDigit(g[0].charCodeAt(0)))) break;
    if (digits >= 10 && g[0].charCodeAt(0) === 32) break;
    let d = 0;
    for (let k = 0; k < g[0].length; k++) if (isDigit(g[0].charCodeAt(k))) d++;
    if (digits + d > 15) break;
    digits += d;
    pos += g[0].length;
  }
  if (digits < 8 || isAlnum(text.charCodeAt(pos))) return i + 1;
  out.push(hit('Phone', i, pos));
  return pos;
}

/** (555) 123-4567, optionally after a trunk prefix "1 " or "+1 ". */
function parenPhoneAt(text: string, i: number, out: Hit[]): number {
  if (!isDigit(text.charCodeAt(i + 1))) return i + 1;
  const m = matchAt(PAREN_PHONE_RE, text, i);
  if (m === null) return i + 1;
  const end = i + m[0].length;
  if (isWord(text.charCodeAt(end)) || continuesNumber(text, end)) return i + 1;
  let start = i;
  const sep = text.charCodeAt(i - 1);
  if ((sep === 32 || sep === 45 || sep === 46) && text.charCodeAt(i - 2) === 49 && !isWord(text.charCodeAt(i - 3))) {
    start = text.charCodeAt(i - 3) === 43 ? i - 3 : i - 2;
  } else if (isWord(sep)) {
    return i + 1;
  }
  out.push(hit('Phone', start, end));
  return end;
}

/** Phone numbers that start with "+" or "(": both characters are rare enough in logs for String#indexOf. */
export const phoneDetector: Detector = {
  name: 'phone',
  types: ['Phone'],
  maxSpan: PHONE_MAX,
  maxBack: 3,
  scan(text, from, limit, out) {
    return scanLiterals(['+', '('], text, from, limit, (at, literal) =>
      literal === 0 ? internationalPhoneAt(text, at, out) : parenPhoneAt(text, at, out),
    );
  },
};

// Accepted group layouts when digits are separated: 4-4-4-4(-3), 4-4-4-1 (13-digit Visa), 4-6-5 (Amex), 4-6-4 (Diners).
const CARD_GROUPS = new Set(['4-4-4-4', '4-4-4-4-3', '4-4-4-1', '4-6-5', '4-6-4']);

function cardAt(text: string, i: number, out: Hit[]): number {
  let j = i;
  while (j < i + 20 && isDigit(text.charCodeAt(j))) j++;
  const before = text.charCodeAt(i - 1);
  const first = text.charCodeAt(i);
  // Epoch milliseconds start with 1; ids run on from a word (blk_-438…) or a number.
  if (first < 50 || first > 54 || isWord(before) || before === 46 || before === 43 || (before === 45 && isWord(text.charCodeAt(i - 2)))) {
    return j;
  }
  let digits: string;
  if (j - i >= 13) {
    // 17 to 19 digits in a row are ids and block numbers far more often than cards; long cards come grouped.
    if (j - i > 16 || isWord(text.charCodeAt(j)) || (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1)))) return j;
    digits = text.slice(i, j);
  } else {
    const sep = text.charCodeAt(j);
    // "3552 3534 3375 4530 3515 3479": a group before the first one makes this a column of figures.
    if (before === sep && isDigit(text.charCodeAt(i - 2))) return i + 1;
    const groups = [j - i];
    while (groups.length < 5 && text.charCodeAt(j) === sep && isDigit(text.charCodeAt(j + 1))) {
      const g = j + 1;
      j = g;
      while (j < g + 7 && isDigit(text.charCodeAt(j))) j++;
      groups.push(j - g);
    }
    if (!CARD_GROUPS.has(groups.join('-')) || isWord(text.charCodeAt(j)) || continuesNumber(text, j)) return i + 1;
    digits = text.slice(i, j).replace(/[ -]/g, '');
  }
  if (!cardShapeValid(digits) || !luhnValid(digits)) return j;
  out.push(hit('CreditCard', i, j));
  return j;
}

/** Two capitals and two check digits, the start of every IBAN; a regex alternative for the key-value pass. */
export const IBAN_ANCHOR = '[A-Z][A-Z]\\d\\d';

function isUpperAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
}

/** Compact (DE89370400440532013000) or printed in groups of four (DE89 3704 0044 0532 0130 00). */
export function ibanAt(text: string, i: number, out: Hit[]): number {
  const length = ibanLength(text.slice(i, i + 2));
  if (length === undefined || isAlnum(text.charCodeAt(i - 1))) return i + 1;
  let compact = text.slice(i, i + 4);
  let j = i + 4;
  const grouped = text.charCodeAt(j) === 32;
  while (compact.length < length) {
    if (grouped && (compact.length - 4) % 4 === 0) {
      if (text.charCodeAt(j) !== 32) return i + 1;
      j++;
    }
    const c = text.charCodeAt(j);
    if (!isUpperAlnum(c)) return i + 1;
    compact += text[j];
    j++;
  }
  // A grouped candidate whose next group carries on ("DE89 3704 … 00 12") is part of a longer run of figures.
  if (isAlnum(text.charCodeAt(j)) || (grouped && text.charCodeAt(j) === 32 && isDigit(text.charCodeAt(j + 1)))) {
    return i + 1;
  }
  if (!ibanValid(compact)) return i + 1;
  out.push(hit('IBAN', i, j));
  return j;
}

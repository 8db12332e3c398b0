/** Checks that turn a pattern's guess into a detection. Inputs are latin1 strings (one char per byte). */

/** Luhn over the digits of `s`, ignoring separators. */
export function luhnValid(s: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = s.length - 1; i >= 0; i--) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) continue;
    let d = c;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Card-shaped: a major industry identifier of 2-6 (Mastercard 2-series, Amex/Diners/JCB, Visa, Mastercard,
 * Discover/UnionPay) and a card length. Issuer ranges are not checked: test and regional cards fall outside
 * them, while epoch milliseconds (leading 1) and most ids are ruled out here and by Luhn.
 */
export function cardShapeValid(digits: string): boolean {
  const first = digits.charCodeAt(0) - 48;
  return first >= 2 && first <= 6 && digits.length >= 13 && digits.length <= 19;
}

/** SSA rules: no area 000, 666 or 9xx; no group 00; no serial 0000. `s` is 9 digits, separators removed. */
export function ssnValid(s: string): boolean {
  const area = s.slice(0, 3);
  return area !== '000' && area !== '666' && s.charCodeAt(0) !== 57 && s.slice(3, 5) !== '00' && s.slice(5) !== '0000';
}

/** Registered IBAN lengths by country (ISO 13616 registry). */
const IBAN_LENGTH: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTH[country];
}

/** Mod-97 check of a compact IBAN (no spaces, upper case). */
export function ibanValid(iban: string): boolean {
  if (IBAN_LENGTH[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

const IPV4_RE = /^(?:(?:25[0-5]|2[0-4]\d|[01]?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d?\d)$/;
const HEX_GROUP_RE = /^[0-9A-Fa-f]{1,4}$/;

export function ipv4Valid(s: string): boolean {
  return IPV4_RE.test(s);
}

/** Full RFC 4291 text forms: 8 groups, one `::`, an embedded dotted quad in the last 32 bits. No zone id here. */
export function ipv6Valid(s: string): boolean {
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return false;
  const head = dbl === -1 ? s : s.slice(0, dbl);
  const tail = dbl === -1 ? '' : s.slice(dbl + 2);
  const groups = [...(head ? head.split(':') : []), ...(tail ? tail.split(':') : [])];
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    if (i === groups.length - 1 && g.includes('.')) {
      if (!ipv4Valid(g)) return false;
      count += 2;
    } else if (HEX_GROUP_RE.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return dbl === -1 ? count === 8 : count <= 7;
}

/** A credential value: long enough and not a plain word. */
export function looksLikeSecret(v: string, minLength: number): boolean {
  if (v.length < minLength) return false;
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  if (lower + upper + digit + other < 2) return false;
  return !isPlaceholder(v);
}

// Values that name or hide a secret rather than being one: masks, templates, env references ($DB_PASS, upper
// case only, since "$ecr3t" is a password), booleans and the status words logs print after "password:".
const PLACEHOLDER_RE =
  /^(?:\*+|x{3,}|X{3,}|\.+|-+|\?+|null|none|nil|undefined|true|false|yes|no|n\/a|empty|\[?(?:redacted|filtered|hidden|masked|removed)\]?|<[^>]*>|\$\{[^}]*\}|\{\{.*\}\}|%[sd]|your[_-].*|.*[_-]here|ok|required|changed|expired|invalid|incorrect|wrong|set|unset|missing|provided|present|reset|updated|accepted|rejected|failed|success|successful|mismatch)$/i;
const ENV_REFERENCE_RE = /^\$[A-Z_][A-Z0-9_]*$/;

export function isPlaceholder(v: string): boolean {
  return PLACEHOLDER_RE.test(v) || ENV_REFERENCE_RE.test(v);
}

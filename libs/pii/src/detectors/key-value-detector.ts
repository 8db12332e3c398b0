import { isPlaceholder, looksLikeSecret, ssnValid } from '../validators';
import { type Detector, type Hit, hit, isAlnum, isDigit, matchAt, scanAnchors } from './detector';
import { IBAN_ANCHOR, ibanAt } from './number-detectors';

type KeyKind = 'Password' | 'ApiKey' | 'Bearer' | 'SSN' | 'Authorization';

// One pass finds every keyword; the key around it decides what, if anything, follows. `Authorization:` headers
// are found from their scheme word (Basic, Token; Bearer has its own branch): an "a" alternative cost 10%. Lower, Capitalised and
// UPPER case are spelled out: 10% faster than the i flag, and nobody writes pAsSwOrD. The start of an IBAN
// (two capitals, two check digits) rides along: a separate pass for it cost 0.55 ns/byte, in here 0.3.
const KEYWORD_RE = new RegExp(
  `[Pp](?:ass|ASS|wd|WD)|[Ss](?:ecret|ECRET|sn|SN)|[Kk](?:ey|EY)|[Tt](?:oken|OKEN)|[Bb](?:earer|EARER|asic|ASIC)|${IBAN_ANCHOR}`,
  'g',
);
const KEY_MAX = 64;
const VALUE_MAX = 512;
const SPACE_MAX = 16;
const TOKEN_MAX = 4096;

const BEARER_RE = /bearer[ \t]{1,8}([A-Za-z0-9\-._~+/]{8,4096}=*)/iy;
const AUTH_VALUE_RE = /(["']?)(?:([A-Za-z][\w-]{0,15})[ \t]{1,8})?([A-Za-z0-9\-._~+/]{8,4096}=*)\1/y;
const NATURAL_VALUE_RE = /(?:(?:is|was)[ \t]{1,8})?([A-Za-z0-9!@#$%^&*_\-+=,.]{4,128})/y;
const API_KEY_VALUE_RE = /^[A-Za-z0-9\-._~+/=]+$/;
const SSN_VALUE_RE = /\d{3}([ -]?)\d{2}\1\d{4}/y;

const LONG_PASSWORD_WORDS = ['password', 'passwd', 'passphrase'];
// Normalised (lower case, no separators) key endings that name an API credential rather than a lookup key.
const API_KEY_SUFFIXES = [
  'apikey',
  'secretkey',
  'accesskey',
  'privatekey',
  'appkey',
  'masterkey',
  'accountkey',
  'subscriptionkey',
  'encryptionkey',
  'signingkey',
  'authkey',
  'clientkey',
  'licensekey',
  'secretkeybase',
];
// Framework signing secrets (Rails secret_key_base, Django/Flask SECRET_KEY, Laravel APP_KEY): any printable
// value, since Django's generator draws from punctuation too ('django-insecure-h7x!k2@p9#…').
const FRAMEWORK_SECRET_SUFFIXES = ['secretkey', 'secretkeybase', 'appkey', 'signingkey', 'encryptionkey', 'masterkey'];

function isKeyChar(c: number): boolean {
  return isAlnum(c) || c === 95 || c === 45 || c === 46;
}

/** `word` ends the key on a word boundary: `db_pass`, `dbPass` and `pass`, but not `bypass`. */
function endsWithWord(key: string, lower: string, word: string): boolean {
  if (!lower.endsWith(word)) return false;
  const i = key.length - word.length;
  if (i === 0) return true;
  const prev = key.charCodeAt(i - 1);
  if (prev === 95 || prev === 45 || prev === 46) return true;
  const first = key.charCodeAt(i);
  return first >= 65 && first <= 90 && !(prev >= 65 && prev <= 90);
}

export function classifyKey(key: string): KeyKind | null {
  const lower = key.toLowerCase();
  const norm = lower.replace(/[-_.]/g, '');
  if (norm.endsWith('authorization')) return 'Authorization';
  if (norm.endsWith('bearertoken') || norm === 'bearer') return 'Bearer';
  if (LONG_PASSWORD_WORDS.some((w) => norm.endsWith(w))) return 'Password';
  if (endsWithWord(key, lower, 'pass') || endsWithWord(key, lower, 'pwd') || endsWithWord(key, lower, 'secret')) {
    return 'Password';
  }
  if (endsWithWord(key, lower, 'token') || API_KEY_SUFFIXES.some((s) => norm.endsWith(s))) return 'ApiKey';
  if (endsWithWord(key, lower, 'ssn')) return 'SSN';
  return null;
}

/** Length of a quote at `i`: `"` or `'`, or `\"` inside an escaped JSON string. */
function quoteLen(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 34 || c === 39) return 1;
  return c === 92 && text.charCodeAt(i + 1) === 34 ? 2 : 0;
}

function skipBlanks(text: string, i: number): number {
  const max = i + SPACE_MAX;
  while (i < max && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  return i;
}

/** `=`, `:`, `=>` or `:=` between blanks; -1 when there is none. */
function separatorEnd(text: string, i: number): number {
  i = skipBlanks(text, i);
  const c = text.charCodeAt(i);
  if (c !== 61 && c !== 58) return -1;
  const d = text.charCodeAt(i + 1);
  return skipBlanks(text, i + ((c === 61 && d === 62) || (c === 58 && d === 61) ? 2 : 1));
}

/** A delimiter ends an unquoted value when what follows cannot continue it: a blank, the end, or `next_key=`. */
function delimiterEndsValue(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (!(c > 32) || c === 44 || c === 59 || c === 38 || c === 41 || c === 93 || c === 125 || c === 34 || c === 39) {
    return true;
  }
  if (!isAlnum(c) && c !== 95) return false;
  let j = i + 1;
  while (j < i + KEY_MAX && isKeyChar(text.charCodeAt(j))) j++;
  const d = text.charCodeAt(j);
  return d === 61 || d === 58;
}

interface Value {
  start: number;
  end: number;
  /** End including a closing quote. */
  outer: number;
}

function readValue(text: string, v: number): Value | null {
  const q = quoteLen(text, v);
  if (q > 0) {
    const quote = q === 2 ? '\\"' : text[v];
    let k = v + q;
    for (;;) {
      k = text.indexOf(quote, k);
      if (k < 0 || k - v > VALUE_MAX) return null;
      if (q === 2 || text.charCodeAt(k - 1) !== 92) break;
      k++;
    }
    const nl = text.indexOf('\n', v);
    return k === v + q || (nl >= 0 && nl < k) ? null : { start: v + q, end: k, outer: k + q };
  }
  let e = v;
  let depth = 0; // brackets opened inside the value close inside it: ${DB_PASS}, f(x)
  const max = v + VALUE_MAX;
  for (; e < max; e++) {
    const c = text.charCodeAt(e);
    if (!(c > 32) || c === 34 || c === 39 || c === 96 || c === 60 || c === 62 || c === 127) break;
    if (c === 40 || c === 91 || c === 123) depth++;
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
    else if ((c === 44 || c === 59 || c === 38 || c === 41 || c === 93 || c === 125) && delimiterEndsValue(text, e + 1)) break;
  }
  return e === v ? null : { start: v, end: e, outer: e };
}

/**
 * A file path, not a secret: PWD=/home/user is the shell's working directory and private_key: /etc/ssl/key.pem
 * names a file. Base64 keys also start with "/" at times, but they have upper-case letters and no extension.
 */
function looksLikePath(v: string): boolean {
  return /^(?:~?\/|\.\.?\/|[A-Za-z]:\\)/.test(v) && (/\.[A-Za-z0-9]{1,5}$/.test(v) || !/[A-Z]/.test(v));
}

function isFrameworkSecret(key: string): boolean {
  const norm = key.toLowerCase().replace(/[-_.]/g, '');
  return FRAMEWORK_SECRET_SUFFIXES.some((s) => norm.endsWith(s));
}

function acceptValue(kind: 'ApiKey' | 'Bearer' | 'Password', v: string, key = ''): boolean {
  if (looksLikePath(v)) return false;
  if (kind === 'ApiKey' && isFrameworkSecret(key)) return !/\s/.test(v) && looksLikeSecret(v, 12);
  if (kind === 'ApiKey') return API_KEY_VALUE_RE.test(v) && looksLikeSecret(v, 16);
  if (kind === 'Bearer') return API_KEY_VALUE_RE.test(v) && looksLikeSecret(v, 8);
  // A password may be anything but a placeholder; punctuation alone ("-", "{") is a format artefact.
  return !isPlaceholder(v) && (/[A-Za-z0-9]/.test(v) || v.length >= 4);
}

function authorizationAt(text: string, keyStart: number, v: number, out: Hit[]): number {
  const m = matchAt(AUTH_VALUE_RE, text, v);
  if (m === null || isAlnum(text.charCodeAt(v + m[0].length))) return v;
  const scheme = m[2]?.toLowerCase();
  const cred = m[3];
  const credStart = v + m[0].length - m[1].length - cred.length;
  // Found from the scheme word, the value's opening quote is behind `v`: take the closing one too.
  const quote = text.charCodeAt(v - 1);
  const end = v + m[0].length + ((quote === 34 || quote === 39) && text.charCodeAt(v + m[0].length) === quote ? 1 : 0);
  if (scheme === 'bearer') return v; // reported by the Bearer branch with the desktop app's span
  if (scheme === 'basic') {
    out.push(hit('Password', keyStart, end, credStart, credStart + cred.length));
    return end;
  }
  if (!API_KEY_VALUE_RE.test(cred) || !looksLikeSecret(cred, 16)) return v;
  out.push(hit('ApiKey', keyStart, end, credStart, credStart + cred.length));
  return end;
}

/** Start of an `Authorization:` key (with its opening quote) just before the scheme word at `p`, or -1. */
function authorizationKeyBefore(text: string, p: number): number {
  let i = p;
  let separator = false;
  for (; i > p - 16; i--) {
    const c = text.charCodeAt(i - 1);
    if (c === 58 || c === 61) separator = true;
    else if (c !== 32 && c !== 9 && c !== 34 && c !== 39 && c !== 92) break;
  }
  if (!separator) return -1;
  let ks = i;
  while (ks > i - KEY_MAX && isKeyChar(text.charCodeAt(ks - 1))) ks--;
  if (ks === i || classifyKey(text.slice(ks, i)) !== 'Authorization') return -1;
  const quote = text.charCodeAt(ks - 1);
  return quote === 34 || quote === 39 ? ks - 1 : ks;
}

function keyValueAt(text: string, p: number, out: Hit[]): number {
  let ks = p;
  while (ks > p - KEY_MAX && isKeyChar(text.charCodeAt(ks - 1))) ks--;
  let ke = p + 3;
  while (ke < p + KEY_MAX && isKeyChar(text.charCodeAt(ke))) ke++;
  while (ke > p + 3 && (text.charCodeAt(ke - 1) === 46 || text.charCodeAt(ke - 1) === 45)) ke--;
  const key = text.slice(ks, ke);
  const kind = classifyKey(key);
  if (kind === null) return ke;

  let start = ks;
  let i = ke;
  const before = text.charCodeAt(ks - 1);
  const open = before === 34 || before === 39 ? (before === 34 && text.charCodeAt(ks - 2) === 92 ? 2 : 1) : 0;
  const close = quoteLen(text, ke);
  if (open > 0 && close > 0) {
    start = ks - open;
    i = ke + close;
  } else if (text.charCodeAt(ks - 1) === 60 && text.charCodeAt(ke) === 62 && kind !== 'SSN' && kind !== 'Authorization') {
    return xmlValueAt(text, kind, ks - 1, ke + 1, out);
  }

  let v = separatorEnd(text, i);
  let natural = false;
  if (v < 0) {
    const blank = skipBlanks(text, i);
    if (blank === i || kind === 'Authorization') return ke;
    // `--password value` on a command line, or the desktop app's "password is …" form.
    if (kind === 'Password' && LONG_PASSWORD_WORDS.includes(key.toLowerCase())) natural = true;
    else if (key.charCodeAt(0) !== 45) return ke;
    v = blank;
  }
  if (kind === 'Authorization') return authorizationAt(text, start, v, out);
  if (natural) return naturalPasswordAt(text, start, v, out) ?? ke;

  if (kind === 'SSN') return ssnValueAt(text, v, out) ?? ke;
  const value = readValue(text, v);
  if (value === null || !acceptValue(kind, text.slice(value.start, value.end), key)) return ke;
  out.push(hit(kind, start, value.outer, value.start, value.end));
  return value.outer;
}

/** After an ssn key, nine digits may be written without dashes (123456789) or with spaces (123 45 6789). */
function ssnValueAt(text: string, v: number, out: Hit[]): number | null {
  const q = quoteLen(text, v);
  const m = matchAt(SSN_VALUE_RE, text, v + q);
  if (m === null || isAlnum(text.charCodeAt(v + q + m[0].length)) || !ssnValid(m[0].replace(/[ -]/g, ''))) return null;
  out.push(hit('SSN', v + q, v + q + m[0].length));
  return v + q + m[0].length;
}

/** "password is hunter2!" — the desktop app's natural-language form: the value needs a digit or a symbol. */
function naturalPasswordAt(text: string, start: number, v: number, out: Hit[]): number | null {
  const m = matchAt(NATURAL_VALUE_RE, text, v);
  if (m === null || isAlnum(text.charCodeAt(v + m[0].length)) || !/[0-9!@#$%^&*_\-+=]/.test(m[1])) return null;
  const end = v + m[0].length;
  out.push(hit('Password', start, end, end - m[1].length, end));
  return end;
}

function xmlValueAt(text: string, kind: 'ApiKey' | 'Bearer' | 'Password', start: number, v: number, out: Hit[]): number {
  const close = text.indexOf('</', v);
  const gt = close < 0 ? -1 : text.indexOf('>', close);
  // Within one line: every detector but PrivateKey stays inside a line, which parallel.ts relies on.
  if (gt < 0 || gt - v > VALUE_MAX || close === v || text.slice(v, gt).includes('\n')) return v;
  if (!acceptValue(kind, text.slice(v, close))) return v;
  out.push(hit(kind, start, gt + 1, v, close));
  return gt + 1;
}

function bearerAt(text: string, p: number, out: Hit[]): number {
  const m = isAlnum(text.charCodeAt(p - 1)) ? null : matchAt(BEARER_RE, text, p);
  if (m === null || !looksLikeSecret(m[1], 8)) return keyValueAt(text, p, out);
  const end = p + m[0].length;
  out.push(hit('Bearer', p, end, end - m[1].length, end));
  return end;
}

/** Bearer tokens, `Authorization:` headers, and key=value / "key": "value" / <key>value</key> credentials. */
export const keyValueDetector: Detector = {
  name: 'key-value',
  types: ['Bearer', 'ApiKey', 'Password', 'SSN', 'IBAN'],
  maxSpan: TOKEN_MAX + 256,
  maxBack: KEY_MAX + 2,
  scan(text, from, limit, out) {
    return scanAnchors(KEYWORD_RE, text, from, limit, (m) => {
      const word = m[0];
      // Keywords end in a letter, an IBAN's start in its check digits.
      if (isDigit(word.charCodeAt(word.length - 1))) return ibanAt(text, m.index, out);
      const first = word.charCodeAt(0) | 32;
      if (first === 98 && word.length === 6) return bearerAt(text, m.index, out);
      if (first === 98 || first === 116) {
        const key = authorizationKeyBefore(text, m.index);
        if (key >= 0) return authorizationAt(text, key, m.index, out);
      }
      return keyValueAt(text, m.index, out);
    });
  },
};

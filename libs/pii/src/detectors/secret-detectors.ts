import type { PiiType } from '../pii-types';
import { type Detector, type Hit, hit, isAlnum, isWord, matchAt, scanAnchors, scanLiterals } from './detector';

/** PEM blocks longer than this are not recognised as one span; see README "Streaming". */
export const MAX_PEM_BYTES = 16 * 1024;

const PEM_BEGIN_RE = /-----BEGIN ((?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?)-----/y;
// A block whose END line is missing still hides its body: whole lines of base64 or PEM headers after real or
// JSON-escaped (\n) line breaks, one blank line allowed. 100 lines stay within MAX_PEM_BYTES.
const PEM_BODY_RE =
  /(?:(?:\r?\n|\\r?\\n){1,2}(?:[A-Za-z0-9+/=]{1,128}|(?:Proc-Type|DEK-Info|Comment|Version):[^\r\n\\]{0,128})(?![^\r\n\\])){0,100}/y;

export const privateKeyDetector: Detector = {
  name: 'private-key',
  types: ['PrivateKey'],
  maxSpan: MAX_PEM_BYTES + 64,
  maxBack: 5,
  scan(text, from, limit, out) {
    // "BEGIN " has a rarer first character than the dashes, so String#indexOf finds it at memchr speed.
    return scanLiterals(['BEGIN '], text, from, limit, (at) => {
      const m = matchAt(PEM_BEGIN_RE, text, at - 5);
      if (m === null) return at + 1;
      m.index = at - 5;
      const headerEnd = m.index + m[0].length;
      const endMarker = `-----END ${m[1]}-----`;
      const endAt = text.indexOf(endMarker, headerEnd);
      let end = endAt + endMarker.length;
      if (endAt < 0 || end - m.index > MAX_PEM_BYTES) {
        end = headerEnd + (matchAt(PEM_BODY_RE, text, headerEnd)?.[0].length ?? 0);
      }
      out.push(hit('PrivateKey', m.index, end));
      return end;
    });
  },
};

const JWT_RE = /eyJ[A-Za-z0-9_-]{2,1024}\.[A-Za-z0-9_-]{2,8192}\.[A-Za-z0-9_-]{0,2048}/y;

/** The header of a JWT is base64url JSON naming its algorithm or type. */
function jwtHeaderValid(segment: string): boolean {
  try {
    const header: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && ('alg' in header || 'typ' in header);
  } catch {
    return false;
  }
}

export const jwtDetector: Detector = {
  name: 'jwt',
  types: ['JWT'],
  maxSpan: 1024 + 8192 + 2048 + 16,
  maxBack: 1,
  scan(text, from, limit, out) {
    // Found from "yJ": a capital J is rarer than the "e" in front of it, so String#indexOf skips ahead faster.
    return scanLiterals(['yJ'], text, from, limit, (at) => {
      const m = text.charCodeAt(at - 1) === 101 ? matchAt(JWT_RE, text, at - 1) : null;
      if (m === null) return at + 1;
      m.index = at - 1;
      const end = m.index + m[0].length;
      if (isTokenChar(text.charCodeAt(m.index - 1)) || isTokenChar(text.charCodeAt(end))) return m.index + 3;
      // Header and payload are both JSON objects ("eyJ" is base64 for '{"'); a decodable header is enough too.
      const dot = m[0].indexOf('.');
      if (!m[0].startsWith('eyJ', dot + 1) && !jwtHeaderValid(m[0].slice(0, dot))) return m.index + 3;
      out.push(hit('JWT', m.index, end));
      return end;
    });
  },
};

function isTokenChar(c: number): boolean {
  return isWord(c) || c === 45;
}

/**
 * A detector for a self-identifying token: found from literal prefixes (by String#indexOf when `literals` is
 * given, else by the global `re`), matched whole by the sticky `re`, and valid when it does not run into
 * neighbouring word characters (a longer identifier that merely contains the prefix).
 */
function tokenDetector(
  name: string,
  type: PiiType,
  re: RegExp,
  maxSpan: number,
  literals?: readonly string[],
  accept: (value: string) => boolean = () => true,
): Detector {
  const sticky = new RegExp(re.source, 'y');
  const tokenAt = (text: string, at: number, out: Hit[]): number => {
    const m = matchAt(sticky, text, at);
    if (m === null) return at + 1;
    const end = at + m[0].length;
    if (isTokenChar(text.charCodeAt(at - 1)) || isAlnum(text.charCodeAt(end)) || !accept(m[0])) return at + 1;
    out.push(hit(type, at, end));
    return end;
  };
  return {
    name,
    types: [type],
    maxSpan,
    maxBack: 0,
    scan(text, from, limit, out) {
      if (literals !== undefined) return scanLiterals(literals, text, from, limit, (at) => tokenAt(text, at, out));
      return scanAnchors(re, text, from, limit, (m) => tokenAt(text, m.index, out));
    },
  };
}

// Long-term (AKIA) and temporary (ASIA) access key ids; other AWS id prefixes name users and roles, not secrets.
export const awsAccessKeyDetector = tokenDetector('aws-access-key', 'AwsAccessKey', /A[KS]IA[A-Z0-9]{16}/g, 24, ['AKIA', 'ASIA']);

const GITHUB_TOKEN_RE = /gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251}/y;

/** ghp_…, gho_…, ghu_…, ghs_…, ghr_… and github_pat_…, found from the underscore (rarer than "g" in logs). */
export const gitHubTokenDetector: Detector = {
  name: 'github-token',
  types: ['GitHubToken'],
  maxSpan: 270,
  maxBack: 6,
  scan(text, from, limit, out) {
    return scanLiterals(['_'], text, from, limit, (at) => {
      let start = at - 3;
      if (text.charCodeAt(at - 3) !== 103 || text.charCodeAt(at - 2) !== 104) {
        if (!text.startsWith('github_pat_', at - 6)) return at + 1;
        start = at - 6;
      }
      const m = matchAt(GITHUB_TOKEN_RE, text, start);
      if (m === null) return at + 1;
      const end = start + m[0].length;
      if (isTokenChar(text.charCodeAt(start - 1)) || isAlnum(text.charCodeAt(end))) return at + 1;
      out.push(hit('GitHubToken', start, end));
      return end;
    });
  },
};

export const slackTokenDetector = tokenDetector(
  'slack-token',
  'SlackToken',
  /xox(?:[abposr]|e(?:\.xox[abposr])?)-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}/g,
  270,
  ['xox', 'xapp-'],
);

// Incoming-webhook URLs carry their secret in the path.
const SLACK_HOOK_RE = /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{16,200}/g;

export const slackWebhookDetector: Detector = {
  name: 'slack-webhook',
  types: ['SlackToken'],
  maxSpan: 260,
  maxBack: 8,
  scan(text, from, limit, out) {
    return scanAnchors(SLACK_HOOK_RE, text, from, limit, (m) => {
      const end = m.index + m[0].length;
      const start = text.startsWith('https://', m.index - 8) ? m.index - 8 : m.index;
      out.push(hit('SlackToken', start, end));
      return end;
    });
  },
};

// Vendor keys with a fixed prefix fold into ApiKey: Google, Stripe secret/restricted, SendGrid. Each is found
// from a literal with a rare first character; OpenAI's "sk-" is left to the key=value detector, as a pass for
// its common first letter would cost more than all the others together.
const VENDOR_KEY_RE = /AIza[0-9A-Za-z_-]{35}|[sr]k_(?:live|test)_[0-9A-Za-z]{16,247}|SG\.[\w-]{22}\.[\w-]{43}/y;
// Stripe's "sk_live_" is found from "_live_", two characters in.
const VENDOR_LITERALS: readonly [string, number][] = [['AIza', 0], ['_live_', 2], ['_test_', 2], ['SG.', 0]];

export const vendorApiKeyDetector: Detector = {
  name: 'vendor-api-key',
  types: ['ApiKey'],
  maxSpan: 260,
  maxBack: 2,
  scan(text, from, limit, out) {
    return scanLiterals(VENDOR_LITERALS.map(([l]) => l), text, from, limit, (at, literal) => {
      const start = at - VENDOR_LITERALS[literal][1];
      const m = matchAt(VENDOR_KEY_RE, text, start);
      if (m === null) return at + 1;
      const end = start + m[0].length;
      if (isTokenChar(text.charCodeAt(start - 1)) || isAlnum(text.charCodeAt(end))) return at + 1;
      out.push(hit('ApiKey', start, end));
      return end;
    });
  },
};

import type { PiiType } from '../pii-types';
import { type Detector, hit, isAlnum, isWord, matchAt, scanLiterals } from './detector';

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
 * A detector for a self-identifying token, found from literals by String#indexOf (each with a rare first
 * character, so the pass runs at memchr speed). `startOf` turns a literal's position into the token's start (or
 * -1); the sticky `re` must match the whole token there, without running into neighbouring word characters.
 */
function tokenDetector(
  name: string,
  type: PiiType,
  literals: readonly string[],
  startOf: (text: string, at: number, literal: number) => number,
  re: RegExp,
  maxSpan: number,
  maxBack: number,
): Detector {
  return {
    name,
    types: [type],
    maxSpan,
    maxBack,
    scan(text, from, limit, out) {
      return scanLiterals(literals, text, from, limit, (at, literal) => {
        const start = startOf(text, at, literal);
        const m = start < 0 ? null : matchAt(re, text, start);
        if (m === null) return at + 1;
        const end = start + m[0].length;
        if (isTokenChar(text.charCodeAt(start - 1)) || isAlnum(text.charCodeAt(end))) return at + 1;
        out.push(hit(type, start, end));
        return end;
      });
    },
  };
}

const atLiteral = (_text: string, at: number): number => at;

// Long-term (AKIA) and temporary (ASIA) access key ids; other AWS id prefixes name users and roles, not secrets.
export const awsAccessKeyDetector = tokenDetector(
  'aws-access-key',
  'AwsAccessKey',
  ['AKIA', 'ASIA'],
  atLiteral,
  /A[KS]IA[A-Z0-9]{16}/y,
  24,
  0,
);

const UNDERSCORE_TOKEN_RE =
  /gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,251}|[sr]k_(?:live|test)_[0-9A-Za-z]{16,247}|npm_[A-Za-z0-9]{36}/y;

/** Where a token with an underscore near its start begins: gh?_, github_pat_, npm_, or Stripe's sk_live_/rk_test_. */
function underscoreTokenStart(text: string, at: number): number {
  if (text.charCodeAt(at - 2) === 104 && text.charCodeAt(at - 3) === 103) return at - 3;
  if (text.charCodeAt(at - 1) === 109 && text.charCodeAt(at - 2) === 112 && text.charCodeAt(at - 3) === 110) return at - 3;
  if (text.charCodeAt(at - 1) === 107 && (text.charCodeAt(at - 2) === 115 || text.charCodeAt(at - 2) === 114)) return at - 2;
  return text.startsWith('github_pat_', at - 6) ? at - 6 : -1;
}

/**
 * GitHub tokens (ghp_…, gho_…, ghu_…, ghs_…, ghr_…, github_pat_…), Stripe keys (sk_live_…, rk_test_…) and npm
 * access tokens (npm_ + 36 base62), the last two reported as ApiKey, found from the underscore: rarer in logs than their first letters, and one pass serves both.
 */
export const underscoreTokenDetector: Detector = {
  name: 'underscore-token',
  types: ['GitHubToken', 'ApiKey'],
  maxSpan: 270,
  maxBack: 6,
  scan(text, from, limit, out) {
    return scanLiterals(['_'], text, from, limit, (at) => {
      const start = underscoreTokenStart(text, at);
      const m = start < 0 ? null : matchAt(UNDERSCORE_TOKEN_RE, text, start);
      if (m === null) return at + 1;
      const end = start + m[0].length;
      if (isTokenChar(text.charCodeAt(start - 1)) || isAlnum(text.charCodeAt(end))) return at + 1;
      out.push(hit(text.charCodeAt(start) === 103 ? 'GitHubToken' : 'ApiKey', start, end));
      return end;
    });
  },
};

export const slackTokenDetector = tokenDetector(
  'slack-token',
  'SlackToken',
  ['xox', 'xapp-'],
  atLiteral,
  /xox(?:[abposr]|e(?:\.xox[abposr])?)-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}/y,
  270,
  0,
);

/** Slack incoming-webhook URLs carry their secret in the path. "hooks." is the cheapest literal to search for. */
export const slackWebhookDetector = tokenDetector(
  'slack-webhook',
  'SlackToken',
  ['hooks.'],
  (text, at) => {
    if (!text.startsWith('hooks.slack.com/', at)) return -1;
    return text.startsWith('https://', at - 8) ? at - 8 : text.startsWith('http://', at - 7) ? at - 7 : at;
  },
  /(?:https?:\/\/)?hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{16,200}/y,
  240,
  8,
);

// Vendor keys with a fixed prefix fold into ApiKey: Google and SendGrid here, Stripe in the underscore pass.
// OpenAI's "sk-" is left to the key=value detector: a pass for its common first letter would cost more than all
// the others together.
export const vendorApiKeyDetector = tokenDetector(
  'vendor-api-key',
  'ApiKey',
  ['AIza', 'SG.'],
  atLiteral,
  /AIza[0-9A-Za-z_-]{35}|SG\.[\w-]{22}\.[\w-]{43}/y,
  120,
  0,
);

import { ALNUM, BASE64, BASE64URL, DIGITS, LOWER, type Prng, UPPER } from './prng';
import { hostname, ipv4 } from './identity-samples';

/** Value generators for credentials and tokens. */

const B32 = `${UPPER}234567`;

export function password(r: Prng): string {
  return r.pick([
    () => r.string(`${ALNUM}!@#$%^*_-+=.`, r.int(8, 20)),
    () => `${r.pick(['Summer', 'Winter', 'Welcome', 'Admin', 'Spring'])}${r.int(2019, 2026)}${r.pick(['!', '#', '$', ''])}`,
    () => r.pick(['hunter2', 'P@ssw0rd', 'changeme', 'letmein1', 's3cr3t!', 'Tr0ub4dor&3', 'correct-horse-battery-staple']),
    () => `${r.string(LOWER, 5)}${r.digits(3)}${r.pick(['!', '@', '#', '%'])}`,
  ])();
}

export function apiKeyValue(r: Prng): string {
  return r.pick([
    () => r.alnum(32),
    () => r.hex(40),
    () => r.string(BASE64, 40),
    () => `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`,
    () => `AIza${r.string(`${ALNUM}-_`, 35)}`,
    () => `sk_live_${r.alnum(r.pick([24, 34, 99]))}`,
    () => `rk_test_${r.alnum(24)}`,
  ])();
}

export function bearerToken(r: Prng): string {
  return r.chance(0.3) ? jwt(r) : r.string(BASE64URL, r.int(24, 64)).replace(/^[-_]+/, 'a');
}

function b64url(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

export function jwt(r: Prng): string {
  const alg = r.pick(['HS256', 'RS256', 'ES256', 'HS512']);
  const header = r.chance(0.3) ? { alg, typ: 'JWT', kid: r.hex(8) } : { alg, typ: 'JWT' };
  const payload = { sub: r.digits(8), iat: 1700000000 + r.int(0, 9999999), exp: 1700003600 + r.int(0, 9999999), scope: 'read write' };
  const sigLength = alg.startsWith('RS') ? 342 : alg === 'HS512' ? 86 : 43;
  return `${b64url(header)}.${b64url(payload)}.${r.string(BASE64URL, sigLength)}`;
}

/** A PEM block with real or JSON-escaped (\n) line breaks. */
export function privateKey(r: Prng, escaped: boolean): string {
  const label = r.pick([
    'RSA PRIVATE KEY',
    'PRIVATE KEY',
    'EC PRIVATE KEY',
    'OPENSSH PRIVATE KEY',
    'ENCRYPTED PRIVATE KEY',
    'DSA PRIVATE KEY',
  ]);
  const nl = escaped ? '\\n' : '\n';
  const lines = Array.from({ length: r.int(4, 26) }, () => r.string(BASE64, 64));
  lines.push(`${r.string(BASE64, r.int(8, 60))}${r.pick(['', '=', '=='])}`);
  return `-----BEGIN ${label}-----${nl}${lines.join(nl)}${nl}-----END ${label}-----`;
}

export function awsAccessKey(r: Prng): string {
  return `${r.pick(['AKIA', 'AKIA', 'ASIA'])}${r.string(B32, 16)}`;
}

export function awsSecretKey(r: Prng): string {
  return r.string(BASE64, 40);
}

export function gitHubToken(r: Prng): string {
  return r.chance(0.8) ? `${r.pick(['ghp', 'gho', 'ghs', 'ghu', 'ghr'])}_${r.alnum(36)}` : `github_pat_${r.alnum(22)}_${r.alnum(59)}`;
}

export function slackToken(r: Prng): string {
  return r.pick([
    () => `xoxb-${r.digits(12)}-${r.digits(13)}-${r.alnum(24)}`,
    () => `xoxp-${r.digits(12)}-${r.digits(12)}-${r.digits(13)}-${r.hex(32)}`,
    () => `xoxa-2-${r.digits(12)}-${r.alnum(24)}`,
    () => `https://hooks.slack.com/services/T${r.string(UPPER + DIGITS, 8)}/B${r.string(UPPER + DIGITS, 10)}/${r.alnum(24)}`,
  ])();
}

export function urlWithCredentials(r: Prng): string {
  const scheme = r.pick(['postgres', 'postgresql', 'mysql', 'mongodb', 'mongodb+srv', 'redis', 'amqp', 'https', 'http', 'ftp', 'smtp']);
  const user = r.pick(['admin', 'app', 'svc_backup', 'deploy', 'guest', 'root', 'etl-user']);
  const pass = r.string(`${ALNUM}!$*_-.~`, r.int(6, 20));
  const host = r.pick([() => hostname(r), () => ipv4(r), () => r.pick(['db', 'rabbitmq', 'cache'])])();
  const port = r.chance(0.6) ? `:${r.pick([5432, 3306, 27017, 6379, 5672, 443, 8080, 21])}` : '';
  const path = r.pick(['', '/', '/app', '/prod_db?sslmode=require', '/0', '/vhost', '/files/export.csv']);
  return `${scheme}://${r.chance(0.1) ? '' : user}:${pass}@${host}${port}${path}`;
}

import { DIGITS, type Prng, UPPER } from './prng';

/** Value generators for personal and network identifiers, in the formats they take in real logs. */

const FIRST = ['john', 'jane', 'alice', 'bob', 'maria', 'wei', 'olga', 'ahmed', 'priya', 'lucas', 'sofia', 'kenji'];
const LAST = ['smith', 'doe', 'garcia', 'chen', 'ivanova', 'khan', 'patel', 'muller', 'rossi', 'tanaka', 'oconnor'];
const MAIL_DOMAINS = [
  'example.com',
  'corp.example.org',
  'mail.example.net',
  'gmail.com',
  'example.co.uk',
  'acme.io',
  'sub.example.de',
  'example.fr',
];
const HOST_PREFIX = ['db', 'api', 'web', 'cache', 'mq', 'auth', 'node', 'worker', 'ingest', 'es-data', 'kafka', 'vault', 'git', 'ldap'];
const HOST_MIDDLE = ['prod', 'staging', 'dev', 'us-east-1', 'eu-west-1', 'dc2', 'int', 'svc', 'ops', 'edge'];
const HOST_DOMAIN = [
  'example.com',
  'example.net',
  'example.org',
  'acme.io',
  'corp.example.com',
  'example.co.uk',
  'example.de',
  'internal',
  'cluster.local',
  'ec2.internal',
  'corp',
  'lan',
  'example.cloud',
];

export function email(r: Prng): string {
  const local = r.pick([
    () => `${r.pick(FIRST)}.${r.pick(LAST)}`,
    () => `${r.pick(FIRST)}${r.int(1, 999)}`,
    () => `${r.pick(FIRST)}_${r.pick(LAST)}+${r.pick(['alerts', 'ops', 'test'])}`,
    () => `${r.pick(FIRST)[0]}${r.pick(LAST)}`,
    () => r.pick(['noreply', 'admin', 'support', 'security-team', 'oncall']),
  ])();
  const value = `${local}@${r.pick(MAIL_DOMAINS)}`;
  return r.chance(0.05) ? value.toUpperCase() : value;
}

export function ipv4(r: Prng): string {
  return r.pick([
    () => `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    () => `192.168.${r.int(0, 255)}.${r.int(1, 254)}`,
    () => `172.${r.int(16, 31)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    () => `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(0, 255)}`,
  ])();
}

function ipv6Groups(r: Prng): number[] {
  const g = Array.from({ length: 8 }, () => (r.chance(0.3) ? 0 : r.int(1, 0xffff)));
  g[0] = r.pick([0x2001, 0xfe80, 0x2607, 0xfd00, 0x2a02, r.int(0x2000, 0x3fff)]);
  if (g[0] === 0x2001 && r.chance(0.5)) g[1] = 0xdb8;
  return g;
}

function compress(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < groups.length;) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

export function ipv6(r: Prng): string {
  const v = r.pick([
    () =>
      ipv6Groups(r)
        .map((x) => x.toString(16).padStart(4, '0'))
        .join(':'),
    () =>
      ipv6Groups(r)
        .map((x) => x.toString(16))
        .join(':'),
    () => compress(ipv6Groups(r).map((x) => x.toString(16))),
    () => `2001:db8::${r.int(1, 0xffff).toString(16)}`,
    () => '::1',
    () => `fe80::${r.hex(4)}:${r.hex(2)}ff:fe${r.hex(2)}:${r.int(1, 0xffff).toString(16)}%${r.pick(['eth0', 'en0', 'wlan0', '3'])}`,
    () => `::ffff:${ipv4(r)}`,
    () => `64:ff9b::${ipv4(r)}`,
    () => compress(ipv6Groups(r).map((x) => x.toString(16))).toUpperCase(),
  ])();
  return /\d/.test(v) ? v : `${v.slice(0, -1)}1`;
}

export function mac(r: Prng): string {
  const bytes = Array.from({ length: 6 }, () => r.hex(2));
  return r.pick([
    () => bytes.join(':'),
    () => bytes.join(':').toUpperCase(),
    () => bytes.join('-').toUpperCase(),
    () => `${bytes[0]}${bytes[1]}.${bytes[2]}${bytes[3]}.${bytes[4]}${r.pick(['a', 'b', 'c', 'd', 'e', 'f'])}${bytes[5][1]}`,
  ])();
}

export function ssn(r: Prng): string {
  let area = r.int(1, 899);
  if (area === 666) area = 665;
  return `${String(area).padStart(3, '0')}-${String(r.int(1, 99)).padStart(2, '0')}-${String(r.int(1, 9999)).padStart(4, '0')}`;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** A date of birth in one of the formats forms and records use. */
export function birthDate(r: Prng): string {
  const y = r.int(1930, 2010);
  const m = r.int(1, 12);
  const d = r.int(1, 28);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return r.pick([
    () => `${y}-${p2(m)}-${p2(d)}`,
    () => `${p2(d)}/${p2(m)}/${y}`,
    () => `${p2(m)}/${p2(d)}/${y}`,
    () => `${p2(d)}.${p2(m)}.${y}`,
    () => `${d} ${MONTH_NAMES[m - 1]} ${y}`,
    () => `${MONTH_NAMES[m - 1]} ${d}, ${y}`,
    () => `${p2(d)}-${MONTH_NAMES[m - 1].slice(0, 3)}-${y}`,
  ])();
}

export function luhnComplete(prefix: string, length: number, r: Prng): string {
  let body = prefix + r.digits(length - prefix.length - 1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48;
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  body += String((10 - (sum % 10)) % 10);
  return body;
}

export function creditCard(r: Prng): string {
  const [prefix, length] = r.pick<[string, number]>([
    ['4', 16],
    ['4', 16],
    ['4', 13],
    [`5${r.int(1, 5)}`, 16],
    [String(r.int(2221, 2720)), 16],
    [`3${r.pick(['4', '7'])}`, 15],
    ['6011', 16],
    [`65${r.int(0, 9)}`, 16],
    [`30${r.int(0, 5)}`, 14],
    ['36', 14],
    [String(r.int(3528, 3589)), 16],
    ['62', 16],
  ]);
  const d = luhnComplete(prefix, length, r);
  if (length === 16 && r.chance(0.5)) {
    const sep = r.pick([' ', '-']);
    return [d.slice(0, 4), d.slice(4, 8), d.slice(8, 12), d.slice(12)].join(sep);
  }
  if (length === 15 && r.chance(0.5)) return [d.slice(0, 4), d.slice(4, 10), d.slice(10)].join(' ');
  return d;
}

const IBAN_FORMATS: [string, string][] = [
  ['DE', 'n18'],
  ['GB', 'a4n14'],
  ['FR', 'n23'],
  ['NL', 'a4n10'],
  ['ES', 'n20'],
  ['IT', 'a1n22'],
  ['CH', 'n17'],
  ['BE', 'n12'],
  ['PL', 'n24'],
  ['SE', 'n20'],
];

export function iban(r: Prng): string {
  const [country, shape] = r.pick(IBAN_FORMATS);
  let bban = '';
  for (const part of shape.match(/[an]\d+/g) ?? []) bban += r.string(part[0] === 'a' ? UPPER : DIGITS, Number(part.slice(1)));
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
  const compact = `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
  return r.chance(0.5) ? compact : compact.replace(/(.{4})(?=.)/g, '$1 ');
}

export function phone(r: Prng): string {
  const n3 = (): string => String(r.int(200, 999));
  const n4 = (): string => r.digits(4);
  return r.pick([
    () => `+1 (${n3()}) ${n3()}-${n4()}`,
    () => `(${n3()}) ${n3()}-${n4()}`,
    () => `${n3()}-${n3()}-${n4()}`,
    () => `555-${r.digits(3)}-${n4()}`,
    () => `${n3()}.${n3()}.${n4()}`,
    () => `+1-${n3()}-${n3()}-${n4()}`,
    () => `1-800-${n3()}-${n4()}`,
    () => `+1${n3()}${n3()}${n4()}`,
    () => `+44 20 ${r.digits(4)} ${r.digits(4)}`,
    () => `+44 (0)${r.int(20, 29)} ${r.digits(4)} ${r.digits(4)}`,
    () => `+49 30 ${r.digits(8)}`,
    () => `+33 ${r.int(1, 9)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`,
    () => `+91 ${r.int(70000, 99999)} ${r.digits(5)}`,
    () => `+81 3-${r.digits(4)}-${r.digits(4)}`,
    () => `+61 2 ${r.digits(4)} ${r.digits(4)}`,
  ])();
}

export function hostname(r: Prng): string {
  const first = r.pick([
    () => `${r.pick(HOST_PREFIX)}-${String(r.int(1, 40)).padStart(2, '0')}`,
    () => `${r.pick(HOST_PREFIX)}${r.int(1, 9)}`,
    () => `ip-10-${r.int(0, 255)}-${r.int(0, 255)}-${r.int(1, 254)}`,
    () => r.pick(HOST_PREFIX),
  ])();
  const middle = r.chance(0.6) ? `.${r.pick(HOST_MIDDLE)}` : '';
  const value = `${first}${middle}.${r.pick(HOST_DOMAIN)}`;
  return r.chance(0.05) && value.split('.').length >= 3 ? value.toUpperCase() : value;
}

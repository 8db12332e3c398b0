import { BASE64, type Prng } from './prng';

/**
 * Hard negatives: things in logs that look like PII to a pattern but are not. Every one must stay undetected,
 * so none may contain a real address, host name or card number by accident.
 */
export function hardNegative(r: Prng): string {
  return r.pick(NEGATIVES)(r);
}

function failingLuhn(r: Prng, length: number): string {
  const d = `${r.pick(['4', '5', '6', '3'])}${r.digits(length - 1)}`;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
  }
  return sum % 10 === 0 ? `${d.slice(0, -1)}${(Number(d[d.length - 1]) + 1) % 10}` : d;
}

const NEGATIVES: ((r: Prng) => string)[] = [
  (r) => `request_id=${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`,
  (r) => `sha256=${r.hex(64)}`,
  (r) => `etag="${r.hex(32)}"`,
  (r) => `commit ${r.hex(40)}`,
  (r) => `payload=${r.string(BASE64, r.int(24, 80))}==`,
  (r) => `ts=${r.int(1400000000, 1800000000)}`,
  (r) => `epoch_ms=${r.int(1400000000, 1800000000)}${r.digits(3)}`,
  (r) => `took ${r.int(1000000000, 9999999999)}ns`,
  (r) => `duration=${r.int(1, 99999)}ms`,
  (r) => `elapsed ${r.int(0, 59)}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}.${r.digits(3)}`,
  (r) => `port ${r.int(1024, 65535)}`,
  (r) => `listening on :${r.int(1024, 65535)}`,
  (r) => `version ${r.int(0, 9)}.${r.int(0, 20)}.${r.int(0, 99)}.${r.int(0, 9999)}`,
  (r) => `v${r.int(0, 9)}.${r.int(0, 30)}.${r.int(0, 99)}`,
  (r) => `build ${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 9)}`,
  (r) => `oid ${r.int(1, 2)}.${r.int(1, 9)}.${r.int(1, 9)}.${r.int(1, 9)}.${r.int(1, 9)}.${r.int(1, 99)}`,
  (r) =>
    `file=${r.pick(['app', 'server', 'audit', 'gc', 'catalina'])}.${r.pick(['log', 'txt', 'json', 'yaml', 'yml', 'conf', 'out', 'gz', 'zip', 'tar'])}`,
  (r) =>
    `loading ${r.pick(['setup.py', 'Makefile.in', 'config.h.in', 'index.html', 'libc.so.6', 'README.md', 'main.rs', 'app.js', 'style.css', 'deploy.sh', 'report.pdf', 'Safari.app', 'user.id', 'run.pl', 'data.csv'])}`,
  (r) =>
    `at ${r.pick(['java.lang.String', 'org.apache.hadoop.mapreduce.v2.app.MRAppMaster', 'com.example.app', 'io.netty.channel.nio.NioEventLoop', 'org.springframework.web.servlet.DispatcherServlet', 'com.google.common.base.Preconditions'])}.${r.pick(['run', 'invoke', 'doFilter', 'checkArgument'])}(${r.pick(['Thread', 'Method', 'Filter'])}.java:${r.int(10, 999)})`,
  (r) => `order #${failingLuhn(r, 16)}`,
  (r) => `invoice ${failingLuhn(r, r.pick([13, 15, 16]))}`,
  (r) => `blk_${r.chance(0.5) ? '-' : ''}${r.digits(19)}`,
  (r) => `id=${r.int(2000000000, 9999999999)}`,
  (r) => `user_id ${r.digits(10)}`,
  (r) => `ptr 0x${r.hex(12)}`,
  (r) => `pod/web-${r.hex(9)}-${r.string('abcdefghijklmnopqrstuvwxyz0123456789', 5)}`,
  () => 'password policy updated',
  (r) => `Failed password for invalid user ${r.pick(['admin', 'test', 'oracle'])}`,
  (r) => `Accepted publickey for ${r.pick(['root', 'deploy'])}`,
  (r) => `PWD=/home/${r.pick(['alice', 'deploy', 'jenkins'])}`,
  (r) => `api key rotated for tenant ${r.int(1, 999)}`,
  (r) => `token expired after ${r.int(1, 3600)}s`,
  (r) => `keyId: -${r.int(100000000, 999999999)}`,
  () => 'password: ********',
  () => 'secret: [REDACTED]',
  (r) => `std::vector<${r.pick(['int', 'Foo'])}> size ${r.int(0, 99)}`,
  (r) => `date ${r.int(2015, 2026)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
  (r) => `ratio ${r.int(0, 99)}.${r.digits(4)}`,
  (r) => `C:\\Windows\\System32\\drivers\\${r.pick(['etc', 'tcpip.sys'])}`,
  (r) => `queue depth ${r.int(0, 99999)} (max ${r.int(100000, 999999)})`,
  (r) => `sku ${r.digits(3)}-${r.digits(4)}-${r.digits(2)}`,
  (r) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/${r.int(90, 130)}.0.${r.int(1000, 6999)}.${r.int(10, 199)}`,
];

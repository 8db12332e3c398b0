import type { SampledType } from './samples';
import * as id from './identity-samples';
import type { Prng } from './prng';
import { type Segment, pii, plain } from './segments';

export interface LineContext {
  r: Prng;
  /** A labelled value (random type unless given) in one of its contexts. */
  pii(type?: SampledType): Segment[];
  /** Just a labelled value of `type`, without a key or other context. */
  value(type: SampledType): Segment[];
  /** Free text carrying zero to two labelled values and zero to two hard negatives. */
  message(): Segment[];
}

type Template = (c: LineContext) => Segment[];

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOSTS = ['web-03', 'LabSZ', 'combo', 'dn228', 'node-246', 'ip-10-0-1-7', 'calvisitor-10-105-160-95', 'worker7'];
const PROCS = ['sshd', 'kernel', 'cron', 'systemd', 'nginx', 'postfix/smtpd', 'dockerd', 'kubelet'];
const CLASSES = [
  'com.example.billing.PaymentService',
  'org.apache.hadoop.hdfs.DFSClient',
  'io.grpc.internal.ClientCallImpl',
  'org.hibernate.engine.jdbc.spi.SqlExceptionHelper',
];

const p2 = (n: number): string => String(n).padStart(2, '0');
const clock = (r: Prng): string => `${p2(r.int(0, 23))}:${p2(r.int(0, 59))}:${p2(r.int(0, 59))}`;
const iso = (r: Prng): string => `2024-${p2(r.int(1, 12))}-${p2(r.int(1, 28))}T${clock(r)}.${r.digits(3)}Z`;
const level = (r: Prng): string => r.pick(['INFO', 'WARN', 'ERROR', 'DEBUG']);
const ip = (c: LineContext): Segment[] => c.value(c.r.chance(0.1) ? 'IPv6' : 'IPv4');

/** JSON-escapes every segment (the labelled bytes are the escaped ones, as a JSON log would carry them). */
function jsonEscaped(segments: Segment[]): Segment[] {
  return segments.map((s) => ({ ...s, text: typeof s.text === 'string' ? JSON.stringify(s.text).slice(1, -1) : s.text }));
}

function requestLine(c: LineContext): Segment[] {
  const r = c.r;
  const path = r.pick<() => Segment[]>([
    () => [plain(r.pick(['/index.html', '/api/v1/orders/', '/static/app.js', '/health', '/login']))],
    () => [plain('/api/v2/users?email='), ...c.value('Email')],
    () => [plain(`/reports/${r.int(1000, 9999)}.pdf`)],
  ])();
  return [
    plain(`"${r.pick(['GET', 'POST', 'PUT', 'DELETE'])} `),
    ...path,
    plain(` HTTP/1.1" ${r.pick([200, 201, 301, 401, 404, 500, 502])} ${r.int(0, 99999)}`),
  ];
}

const UA = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.6099.129 Safari/537.36',
  'curl/7.68.0',
  'kube-probe/1.28',
  'python-requests/2.31.0',
];

export const TEMPLATES: readonly Template[] = [
  // syslog (RFC 3164) with single-label host names, which are not flagged
  (c) => [
    plain(`${c.r.pick(MONTHS)} ${p2(c.r.int(1, 28))} ${clock(c.r)} ${c.r.pick(HOSTS)} ${c.r.pick(PROCS)}[${c.r.int(100, 65000)}]: `),
    ...c.message(),
    plain('\n'),
  ],
  // RFC 5424 with a fully qualified host name
  (c) => [
    plain(`<${c.r.int(0, 191)}>1 ${iso(c.r)} `),
    ...c.value('Hostname'),
    plain(` app ${c.r.int(100, 9999)} - - `),
    ...c.message(),
    plain('\n'),
  ],
  // JSON lines
  (c) => [
    plain(`{"ts":"${iso(c.r)}","level":"${level(c.r).toLowerCase()}","logger":"${c.r.pick(CLASSES)}","msg":"`),
    ...jsonEscaped(c.message()),
    plain('","client_ip":"'),
    ...jsonEscaped(ip(c)),
    plain(`","duration_ms":${c.r.int(0, 9999)}}\n`),
  ],
  // Apache combined access log
  (c) => [
    ...ip(c),
    plain(` - - [${p2(c.r.int(1, 28))}/${c.r.pick(MONTHS)}/2024:${clock(c.r)} -0700] `),
    ...requestLine(c),
    plain(' "'),
    ...(c.r.chance(0.5) ? [plain('https://'), pii('Hostname', id.hostname(c.r)), plain('/start.html')] : [plain('-')]),
    plain(`" "${c.r.pick(UA)}"\n`),
  ],
  // nginx access log with timings
  (c) => [
    ...ip(c),
    plain(` - - [${p2(c.r.int(1, 28))}/${c.r.pick(MONTHS)}/2024:${clock(c.r)} +0000] `),
    ...requestLine(c),
    plain(` "-" "${c.r.pick(UA)}" rt=0.${c.r.digits(3)} uct="0.000" urt="0.${c.r.digits(3)}"\n`),
  ],
  // Apache error log
  (c) => [plain(`[Sun Dec 04 ${clock(c.r)} 2005] [error] [client `), ...ip(c), plain('] '), ...c.message(), plain('\n')],
  // Java log line with a stack trace
  (c) => {
    const r = c.r;
    const frames = Array.from(
      { length: r.int(2, 5) },
      () =>
        `\tat ${r.pick(CLASSES)}.${r.pick(['process', 'invoke', 'run', 'call'])}(${r.pick(['Payment', 'Client', 'Helper'])}.java:${r.int(10, 900)})\n`,
    );
    const cause = r.chance(0.4)
      ? [
          plain('Caused by: java.net.ConnectException: Connection refused: '),
          pii('Hostname', id.hostname(r)),
          plain('/'),
          pii('IPv4', id.ipv4(r)),
          plain(`:${r.int(1024, 65535)}\n`),
        ]
      : [];
    return [
      plain(
        `2024-01-${p2(r.int(1, 28))} ${clock(r)},${r.digits(3)} ERROR [${r.pick(['main', 'pool-1-thread-3', 'http-nio-8080-exec-7'])}] ${r.pick(CLASSES)} - `,
      ),
      ...c.message(),
      plain(`\njava.lang.IllegalStateException: failed\n${frames.join('')}`),
      ...cause,
    ];
  },
  // Kubernetes events and klog lines
  (c) => [
    plain(
      `${c.r.int(1, 59)}m   ${c.r.pick(['Warning', 'Normal'])}   ${c.r.pick(['BackOff', 'FailedMount', 'Unhealthy', 'Scheduled'])}   pod/web-${c.r.hex(9)}-${c.r.hex(5)}   `,
    ),
    ...c.message(),
    plain('\n'),
  ],
  (c) => [
    plain(
      `I01${p2(c.r.int(10, 28))} ${clock(c.r)}.${c.r.digits(6)}       1 ${c.r.pick(['controller.go', 'reflector.go', 'leaderelection.go'])}:${c.r.int(10, 999)}] `,
    ),
    ...c.message(),
    plain('\n'),
  ],
  // HDFS
  (c) => [
    plain(
      `0811${p2(c.r.int(10, 30))} ${c.r.digits(6)} ${c.r.int(1, 999)} INFO dfs.DataNode$DataXceiver: Receiving block blk_${c.r.chance(0.5) ? '-' : ''}${c.r.digits(19)} src: /`,
    ),
    pii('IPv4', id.ipv4(c.r)),
    plain(`:${c.r.int(1024, 65535)} dest: /`),
    pii('IPv4', id.ipv4(c.r)),
    plain(':50010\n'),
  ],
  // OpenSSH
  (c) => {
    const r = c.r;
    const head = plain(`Dec ${p2(r.int(1, 28))} ${clock(r)} LabSZ sshd[${r.int(1000, 30000)}]: `);
    return r.pick<() => Segment[]>([
      () => [
        head,
        plain(`Failed password for invalid user ${r.pick(['admin', 'oracle', 'test'])} from `),
        pii('IPv4', id.ipv4(r)),
        plain(` port ${r.int(1024, 65535)} ssh2\n`),
      ],
      () => [head, plain('Accepted publickey for root from '), ...ip(c), plain(` port ${r.int(1024, 65535)} ssh2\n`)],
      () => [
        head,
        plain('reverse mapping checking getaddrinfo for '),
        pii('Hostname', id.hostname(r)),
        plain(' ['),
        pii('IPv4', id.ipv4(r)),
        plain('] failed - POSSIBLE BREAK-IN ATTEMPT!\n'),
      ],
      () => [head, plain('pam_unix(sshd:auth): check pass; user unknown\n')],
    ])();
  },
  // logfmt
  (c) => [
    plain(`time=${iso(c.r)} level=${level(c.r).toLowerCase()} msg="`),
    ...c.message(),
    plain(`" caller=${c.r.pick(['main.go', 'handler.go'])}:${c.r.int(10, 500)}\n`),
  ],
  // Spark / Hadoop
  (c) => [
    plain(
      `17/06/${p2(c.r.int(1, 28))} ${clock(c.r)} ${level(c.r)} ${c.r.pick(['executor.CoarseGrainedExecutorBackend', 'storage.BlockManager', 'spark.SecurityManager'])}: `,
    ),
    ...c.message(),
    plain('\n'),
  ],
  // HTTP request dump
  (c) => [
    plain(`> POST /api/v1/sessions HTTP/1.1\n> Host: `),
    pii('Hostname', id.hostname(c.r)),
    plain('\n> '),
    ...c.pii(c.r.pick(['Bearer', 'ApiKey', 'JWT'])),
    plain(`\n> Content-Length: ${c.r.int(10, 999)}\n`),
  ],
  // Windows CBS
  (c) => [
    plain(`2016-09-28 ${clock(c.r)}, Info                  CBS    Loaded Servicing Stack v6.1.7601.${c.r.int(10000, 30000)} `),
    ...c.message(),
    plain('\n'),
  ],
];

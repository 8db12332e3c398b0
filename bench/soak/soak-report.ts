import { cpus, loadavg } from 'node:os';
import type { PostCheckReport } from '../../test/system/support/post-checks';
import { problemsOf } from '../../test/system/support/post-checks';
import type { Operation, Recorder } from './soak-traffic';
import { TARGET_RATE } from './soak-traffic';
import type { Service, SoakWorld } from './soak-world';
import { SERVICES } from './soak-world';

export interface RssSample {
  /** Seconds since the traffic started. */
  t: number;
  api: number | null;
  worker: number | null;
  /** Which worker process (0 before the restart, 1 after). */
  workerRun: number;
  outboxOpen: number;
}

export interface SoakEvent {
  t: number;
  what: string;
}

export interface Effects {
  uploads: { accepted: number; present: number; processed: number; lost: number; duplicated: number };
  publishes: {
    accepted: number;
    targets: number;
    published: number;
    notPublished: string[];
    remoteObjects: Record<Service, number>;
    expectedObjects: Record<Service, number>;
    duplicated: number;
  };
  drainSeconds: number;
  postChecks: PostCheckReport;
}

/** Accepted uploads against processed files; accepted publishes against the fakes' remote objects. */
export function countEffects(world: SoakWorld, recorder: Recorder, postChecks: PostCheckReport, drainSeconds: number): Effects {
  const accepted = recorder.acceptedUploads;
  const states = new Map(
    (
      world
        .db()
        .prepare(
          `SELECT f.id, p.hash_state = 'done' AND p.scan_state = 'done' AS done FROM log_files f LEFT JOIN log_file_processing p ON p.log_file_id = f.id`,
        )
        .all() as {
        id: string;
        done: number | null;
      }[]
    ).map((r) => [r.id, r.done === 1]),
  );
  const present = accepted.filter((id) => states.has(id)).length;
  const processed = accepted.filter((id) => states.get(id) === true).length;
  const duplicated = postChecks.fileProblems.filter((p) => /audit entries|more than once|differ from a fresh scan/.test(p)).length;

  const targets = new Map(recorder.acceptedPublishes.map((p) => [`${p.documentId}:${p.service}`, p]));
  const rows = world
    .db()
    .prepare(`SELECT document_id, service, state, remote_id, last_error FROM publications WHERE document_id IS NOT NULL`)
    .all() as {
    document_id: string;
    service: Service;
    state: string;
    remote_id: string | null;
    last_error: string | null;
  }[];
  const byTarget = new Map(rows.map((r) => [`${r.document_id}:${r.service}`, r]));
  const remoteIds = Object.fromEntries(
    SERVICES.map((s) => [
      s,
      new Set((world.fakes[s].objects as { id?: unknown; sys_id?: unknown }[]).map((o) => String(o.sys_id ?? o.id))),
    ]),
  ) as Record<Service, Set<string>>;
  const notPublished = [...targets.keys()].flatMap((key) => {
    const row = byTarget.get(key);
    if (!row) return [`${key}: no publication row`];
    if (row.state !== 'published') return [`${key}: ${row.state}: ${row.last_error ?? ''}`];
    return row.remote_id && remoteIds[row.service].has(row.remote_id)
      ? []
      : [`${key}: published, but the fake holds no object ${row.remote_id}`];
  });
  const expectedObjects = Object.fromEntries(
    SERVICES.map((s) => [s, [...targets.values()].filter((p) => p.service === s).length]),
  ) as Record<Service, number>;
  const remoteObjects = Object.fromEntries(SERVICES.map((s) => [s, world.fakes[s].objects.length])) as Record<Service, number>;
  return {
    uploads: { accepted: accepted.length, present, processed, lost: accepted.length - processed, duplicated },
    publishes: {
      accepted: recorder.acceptedPublishes.length,
      targets: targets.size,
      published: targets.size - notPublished.length,
      notPublished,
      remoteObjects,
      expectedObjects,
      duplicated: SERVICES.reduce((sum, s) => sum + Math.max(0, remoteObjects[s] - expectedObjects[s]), 0),
    },
    drainSeconds,
    postChecks,
  };
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Least-squares slope of RSS over time, in MiB per minute. */
function slopePerMinute(points: { t: number; v: number }[]): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mv = points.reduce((a, p) => a + p.v, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.v - mv), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return (num / den) * 60;
}

/**
 * RSS saws up and down with garbage collection, so a straight line through a few minutes of it says little.
 * After the first fifth (warm-up), the rest is cut into four windows: flat when neither the median nor the
 * peak of the last window is more than 10 % above the first's. A leak raises both, window after window.
 */
function rssVerdict(label: string, points: { t: number; v: number }[]): string {
  const settled = points.slice(Math.floor(points.length / 5));
  if (settled.length < 8) return `${label}: too few samples (${settled.length})`;
  const size = Math.floor(settled.length / 4);
  const windows = [0, 1, 2, 3].map((i) => settled.slice(i * size, i === 3 ? settled.length : (i + 1) * size).map((p) => p.v));
  const medians = windows.map((w) => percentile(w, 50));
  const peaks = windows.map((w) => Math.max(...w));
  const flat = medians[3] <= medians[0] * 1.1 && peaks[3] <= peaks[0] * 1.1;
  const minutes = (settled[settled.length - 1].t - settled[0].t) / 60;
  return (
    `${label}: window medians ${medians.map((m) => m.toFixed(0)).join(' → ')} MiB, peaks ${peaks.map((m) => m.toFixed(0)).join(' → ')} MiB ` +
    `over ${minutes.toFixed(1)} min (least-squares slope ${slopePerMinute(settled).toFixed(2)} MiB/min): **${flat ? 'flat' : 'GROWING'}**`
  );
}

function latencyTable(recorder: Recorder, seconds: number): string[] {
  const lines = [
    '| operation | target/s | requests | throughput/s | 2xx | other status | errors | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const op of Object.keys(recorder.samples) as Operation[]) {
    const s = recorder.samples[op];
    const ms = s.map((x) => x.ms);
    const ok = s.filter((x) => typeof x.status === 'number' && x.status < 300).length;
    const errors = s.filter((x) => x.status === 'error').length;
    const other = s.filter((x) => typeof x.status === 'number' && x.status >= 300);
    const otherText = other.length
      ? Object.entries(countBy(other.map((x) => String(x.status))))
          .map(([k, v]) => `${k}×${v}`)
          .join(' ')
      : '0';
    lines.push(
      `| ${op} | ${TARGET_RATE[op].perSecond} | ${s.length} | ${(s.length / seconds).toFixed(2)} | ${ok} | ${otherText} | ${errors} | ${percentile(ms, 50).toFixed(1)} | ${percentile(ms, 99).toFixed(1)} | ${Math.max(0, ...ms).toFixed(1)} |`,
    );
  }
  return lines;
}

/** What each kind of client got while Redis was down: the API must keep answering (the outbox takes the jobs). */
function outageLines(recorder: Recorder, startedAt: number, outage: { from: number; to: number } | null): string[] {
  if (!outage) return [];
  const inside = (at: number) => at >= startedAt + outage.from * 1000 && at <= startedAt + outage.to * 1000;
  const lines = [`While Redis was down (t = ${(outage.from / 60).toFixed(2)}–${(outage.to / 60).toFixed(2)} min):`, ''];
  for (const op of Object.keys(recorder.samples) as Operation[]) {
    const s = recorder.samples[op].filter((x) => inside(x.at));
    const statuses =
      Object.entries(countBy(s.map((x) => String(x.status))))
        .map(([k, v]) => `${k}×${v}`)
        .join(' ') || 'none';
    lines.push(`- ${op}: ${s.length} requests, answers ${statuses}, slowest ${Math.max(0, ...s.map((x) => x.ms)).toFixed(0)} ms`);
  }
  return [...lines, ''];
}

function countBy(xs: string[]): Record<string, number> {
  return xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
}

/** Every minute's sample (the first of each minute), so a reader sees the shape of RSS over the run. */
function rssTable(samples: RssSample[]): string[] {
  const lines = ['| t (min) | API RSS MiB | worker RSS MiB | worker run | outbox rows open |', '|---|---|---|---|---|'];
  let nextMinute = 0;
  for (const s of samples) {
    if (s.t / 60 < nextMinute) continue;
    nextMinute = Math.floor(s.t / 60) + 1;
    lines.push(
      `| ${(s.t / 60).toFixed(1)} | ${s.api?.toFixed(0) ?? '-'} | ${s.worker?.toFixed(0) ?? '-'} | ${s.workerRun} | ${s.outboxOpen} |`,
    );
  }
  return lines;
}

export interface ReportInput {
  minutes: number;
  /** Date.now() when the traffic started: samples carry absolute times, events relative ones. */
  startedAt: number;
  trafficSeconds: number;
  /** Seconds after the start when Redis went down and when it answered again. */
  redisOutage: { from: number; to: number } | null;
  recorder: Recorder;
  samples: RssSample[];
  events: SoakEvent[];
  effects: Effects;
}

export function renderReport(input: ReportInput): string {
  const { recorder, samples, events, effects } = input;
  const series = (pick: (s: RssSample) => number | null, filter: (s: RssSample) => boolean = () => true) =>
    samples.filter(filter).flatMap((s) => (pick(s) === null ? [] : [{ t: s.t, v: pick(s) as number }]));
  const problems = problemsOf(effects.postChecks);
  const p = effects.publishes;
  const peak = samples.reduce((a, b) => (b.outboxOpen > a.outboxOpen ? b : a), samples[0]);
  return [
    '# Soak benchmark',
    '',
    `Run on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}.`,
    `Load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}; the machine is shared, so latencies include other work.`,
    `${input.minutes} minute(s) of mixed traffic against the real API and worker (dist/, NODE_ENV=test for the loopback fakes), a private Redis`,
    '(AOF, noeviction) and the Confluence, ServiceNow and Azure DevOps fakes of test/support/fakes. Reproduce: `npm run bench:soak -- --minutes N`.',
    '',
    '## Faults during the run',
    '',
    ...events.map((e) => `- t = ${(e.t / 60).toFixed(2)} min: ${e.what}`),
    '',
    '## Throughput and latency',
    '',
    ...latencyTable(recorder, input.trafficSeconds),
    '',
    'Closed-loop clients paced to the target rate (upload: 2 clients, 8–64 KiB files, one in five dense with PII; search: 2 clients,',
    '`GET /v1/issues?q=`; publish: 1 client, a new RCA document or (1 in 4) a republish of an earlier one, to a random service).',
    'Latency is per request as the client saw it, outages included.',
    '',
    ...outageLines(recorder, input.startedAt, input.redisOutage),
    `Most outbox rows open at one sample: ${peak?.outboxOpen ?? 0} (t = ${((peak?.t ?? 0) / 60).toFixed(2)} min); jobs wait there while Redis is away.`,
    '',
    '## Memory (RSS, sampled every 5 s)',
    '',
    `- ${rssVerdict(
      'API (one process for the whole run)',
      series((s) => s.api),
    )}`,
    `- ${rssVerdict(
      'worker before its restart',
      series(
        (s) => s.worker,
        (s) => s.workerRun === 0,
      ),
    )}`,
    `- ${rssVerdict(
      'worker after its restart',
      series(
        (s) => s.worker,
        (s) => s.workerRun === 1,
      ),
    )}`,
    '',
    ...rssTable(samples),
    '',
    '## Lost or duplicated effects (expected: zero)',
    '',
    `- Uploads: ${effects.uploads.accepted} accepted (202); ${effects.uploads.present} present, ${effects.uploads.processed} hashed and scanned. **Lost: ${effects.uploads.lost}. Duplicated: ${effects.uploads.duplicated}** (files whose job effect or spans appear more than once).`,
    `- Publishes: ${p.accepted} accepted (202) to ${p.targets} distinct (document, service) targets; ${p.published} published with a remote object the fake holds. **Lost: ${p.notPublished.length}${p.notPublished.length ? ` (${p.notPublished.slice(0, 5).join('; ')})` : ''}. Duplicated remote objects: ${p.duplicated}** (fake objects per service: ${SERVICES.map((s) => `${s} ${p.remoteObjects[s]}/${p.expectedObjects[s]} expected`).join(', ')}).`,
    `- Drain after the traffic stopped: ${effects.drainSeconds.toFixed(1)} s until every accepted upload was processed and every publication settled.`,
    `- Post-checks (test/system/support/post-checks.ts): integrity_check ${effects.postChecks.integrity.join()}, ${effects.postChecks.cipher.pages} pages with ${effects.postChecks.cipher.badPages.length} failing their HMAC, audit chain ${effects.postChecks.audit.intact ? `intact (${effects.postChecks.audit.entries} entries)` : 'BROKEN'}, ${effects.postChecks.filesChecked} log files checked: ${problems.length === 0 ? 'no problems' : `${problems.length} problem(s):`}`,
    ...problems.slice(0, 20).map((line) => `  - ${line}`),
    '',
  ].join('\n');
}

/**
 * `npm run bench`: every row of issue 8's table, each as a ratio to a baseline measured in the same run, written to
 * bench/RESULTS.md and bench/results.json. Installs nothing: a missing tool skips only the rows that need it.
 *
 *   npm run bench [-- --quick] [--out DIR] [--runs N] [--only id,id] [--no-pin] [--profile DIR] [--loghub DIR] [--note TEXT]
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import IORedis from 'ioredis';
import { hashGroup } from './groups/hash.group';
import { ingestGroup } from './groups/ingest.group';
import { httpGroup } from './groups/http.group';
import { piiGroup } from './groups/pii.group';
import { reviewGroup } from './groups/review.group';
import { scanGroup } from './groups/scan.group';
import { rssGroup } from './groups/rss.group';
import { searchGroup } from './groups/search.group';
import { uploadGroup } from './groups/upload.group';
import { writerGroup } from './groups/writer.group';
import { Cleanup } from './support/cleanup';
import type { BenchContext, BenchGroup, BenchOptions } from './support/context';
import { describeMachine, loadAverage } from './support/machine';
import { Pinning } from './support/pinning';
import { measuredRow, readNotes, renderMarkdown, unmeasuredRow } from './support/report';
import type { BenchResults, RowId, RowResult, RowSpec, Scale } from './support/results';
import { RESULTS_SCHEMA_VERSION, ROW_IDS, ROW_SPECS } from './support/results';
import { checkTools, installAdvice, missing, skipReason } from './support/tools';

const MiB = 1024 * 1024;
/** The repository's bench/ folder, seen from dist/bench. */
const REPO_BENCH = join(__dirname, '..', '..', 'bench');
const GROUPS: BenchGroup[] = [
  piiGroup,
  hashGroup,
  uploadGroup,
  httpGroup,
  searchGroup,
  rssGroup,
  reviewGroup,
  ingestGroup,
  writerGroup,
  scanGroup,
];

const FULL: Scale = {
  piiBytes: 256 * MiB,
  piiCliBytes: 64 * MiB,
  hashBytes: 256 * MiB,
  largeBytes: 256 * MiB,
  smallFiles: 5000,
  smallFileBytes: 20 * 1024,
  clients: 16,
  noopJobs: 10_000,
  connections: 32,
  httpSeconds: 5,
  searchIssues: 100_000,
  searchRequests: 300,
  rssBytes: 2048 * MiB,
  // Issue 12's figures: 1 GiB, 1,000,000 spans.
  reviewBytes: 1024 * MiB,
  reviewSpans: 1_000_000,
  reviewRequests: 60,
  writerSpans: 500_000,
  scanFiles: 8,
  scanFileBytes: 32 * MiB,
};

/** Small enough that the whole run stays under a minute on a 2-core machine. */
const QUICK: Scale = {
  ...FULL,
  piiBytes: 8 * MiB,
  piiCliBytes: 8 * MiB,
  hashBytes: 16 * MiB,
  largeBytes: 16 * MiB,
  smallFiles: 100,
  noopJobs: 500,
  httpSeconds: 0.5,
  searchIssues: 5000,
  searchRequests: 60,
  rssBytes: 32 * MiB,
  reviewBytes: 16 * MiB,
  reviewSpans: 20_000,
  reviewRequests: 15,
  writerSpans: 20_000,
  scanFiles: 4,
  scanFileBytes: 8 * MiB,
};

const USAGE = `usage: node dist/bench/run.js [options]
  --quick          small corpus, 3 runs per row (1 for the memory rows): under a minute
  --out DIR        write results.json and RESULTS.md there (default: the repository's bench/,
                   or $TMPDIR/tftsr-bench-partial with --only)
  --runs N         counted runs per row (default 5; 3 with --quick)
  --only IDS       comma-separated row ids (${ROW_IDS.join(', ')}); the others are marked skipped
  --no-pin         do not pin processes to cores with taskset
  --profile DIR    run the spawned API and worker with --cpu-prof, profiles into DIR
  --loghub DIR     loghub samples for the PII corpus (default ../shared/data/loghub)
  --note TEXT      a remark about this run for RESULTS.md (e.g. what else was using the machine)
  --app-env K=V    a variable for the spawned API and worker, over the bench's own (repeatable; recorded in the note)`;

/** A mistake on the command line: the message and the usage are enough, no stack. */
class UsageError extends Error {}

const FLAGS = ['--quick', '--no-pin', '--help'];
const VALUED = ['--out', '--runs', '--only', '--profile', '--loghub', '--note', '--app-env'];

function parseOptions(argv: string[]): BenchOptions {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    if (i + 1 >= argv.length) throw new UsageError(`${name} needs a value\n${USAGE}`);
    return argv[i + 1];
  };
  const unknown = argv.filter((a, i) => a.startsWith('--') && !FLAGS.includes(a) && !VALUED.includes(a) && !VALUED.includes(argv[i - 1]));
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.join(', ')}\n${USAGE}`);
  const quick = argv.includes('--quick');
  const runs = Number(value('--runs') ?? (quick ? 3 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer\n${USAGE}`);
  const only =
    value('--only')
      ?.split(',')
      .map((s) => s.trim()) ?? null;
  const wrong = only?.filter((id) => !(ROW_IDS as readonly string[]).includes(id)) ?? [];
  if (wrong.length > 0) throw new UsageError(`unknown row id ${wrong.join(', ')}; the rows are ${ROW_IDS.join(', ')}`);
  const profileDir = value('--profile');
  const appEnv: Record<string, string> = {};
  argv.forEach((arg, i) => {
    if (arg !== '--app-env') return;
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/s.exec(argv[i + 1] ?? '');
    if (!match) throw new UsageError(`--app-env needs NAME=VALUE, got ${JSON.stringify(argv[i + 1] ?? '')}\n${USAGE}`);
    appEnv[match[1]] = match[2];
  });
  return {
    quick,
    // A partial run must not replace the full table: without --out it goes to a temp dir.
    outDir: resolve(value('--out') ?? (only === null ? REPO_BENCH : join(tmpdir(), 'tftsr-bench-partial'))),
    runs,
    only: only as RowId[] | null,
    pin: !argv.includes('--no-pin'),
    profileDir: profileDir === undefined ? null : resolve(profileDir),
    loghubDir: resolve(value('--loghub') ?? join(REPO_BENCH, '..', '..', 'shared', 'data', 'loghub')),
    note: value('--note') ?? null,
    appEnv,
  };
}

/** The --note, and the --app-env variables, so that a run made with them says so in RESULTS.md. */
function runNote(options: BenchOptions): string | null {
  const variables = Object.entries(options.appEnv).map(([name, value]) => `${name}=${value}`);
  const parts = [options.note, variables.length > 0 ? `the apps ran with ${variables.join(' ')}` : null].filter((p) => p !== null);
  return parts.length > 0 ? parts.join('; ') : null;
}

const specOf = (id: RowId): RowSpec => ROW_SPECS.find((s) => s.id === id) as RowSpec;

/** Runs one group; its rows come back measured, skipped (a requirement is missing) or failed (it broke). */
async function runGroup(
  group: BenchGroup,
  base: Omit<BenchContext, 'scratch'>,
  root: string,
  log: (m: string) => void,
): Promise<RowResult[]> {
  const { options, scale, tools } = base;
  const ids = (Object.keys(group.needs) as RowId[]).filter((id) => options.only === null || options.only.includes(id));
  const out: RowResult[] = [];
  const runnable = new Set<RowId>();
  for (const id of ids) {
    const absent = missing(tools, group.needs[id] ?? []);
    if (absent.length > 0) out.push(unmeasuredRow(specOf(id), scale, 'skipped', skipReason(tools, absent)));
    else runnable.add(id);
  }
  if (runnable.size === 0) return out;
  const scratch = join(root, group.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  mkdirSync(scratch, { recursive: true });
  const started = Date.now();
  log(`${group.name}: ${[...runnable].join(', ')}`);
  try {
    // The memory rows take minutes per run at full size; in --quick mode one run says what the test needs to know.
    const runs = group === rssGroup && options.quick ? 1 : options.runs;
    const measured = await group.run({ ...base, options: { ...options, runs }, scratch, log: (m) => log(`  ${m}`) }, runnable);
    for (const id of runnable) {
      const m = measured[id];
      out.push(
        m
          ? measuredRow(specOf(id), scale, m)
          : unmeasuredRow(specOf(id), scale, 'failed', 'the group returned no measurement for this row'),
      );
    }
  } catch (err) {
    process.stderr.write(`${group.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    for (const id of runnable)
      out.push(
        unmeasuredRow(
          specOf(id),
          scale,
          'failed',
          String((err as Error).message ?? err)
            .split('\n')[0]
            .slice(0, 300),
        ),
      );
  } finally {
    // The corpora are hundreds of MiB: free the disk before the next group.
    rmSync(scratch, { recursive: true, force: true });
  }
  log(`${group.name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return out;
}

/** Every BullMQ key this run created lives under its prefix; nothing else on a shared Redis is touched. */
async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  const client = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = parseOptions(argv);
  const started = process.hrtime.bigint();
  const log = (m: string) =>
    process.stderr.write(`[bench ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(0).padStart(4)} s] ${m}\n`);
  const loadAtStart = loadAverage();
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the processes this run started and removing its files`);
    void cleanup.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const tools = await checkTools(process.env);
    for (const line of installAdvice(tools)) log(`missing: ${line}`);
    const cores = availableParallelism();
    const pinning = new Pinning(options.pin && tools.versions.taskset !== null && cores > 1, cores);
    const root = cleanup.dir(mkdtempSync(join(tmpdir(), 'tftsr-bench-')));
    const queuePrefix = `tftsr-bench-${process.pid}-${Date.now().toString(36)}`;
    if (tools.versions.redis !== null) cleanup.defer(() => deleteQueueKeys(tools.redisUrl, queuePrefix));
    const scale = options.quick ? QUICK : FULL;
    const base = { options, scale, tools, cleanup, pinning, queuePrefix, log };

    const rows = new Map<RowId, RowResult>();
    for (const group of GROUPS) for (const row of await runGroup(group, base, root, log)) rows.set(row.id, row);
    for (const id of ROW_IDS) if (!rows.has(id)) rows.set(id, unmeasuredRow(specOf(id), scale, 'skipped', 'not selected (--only)'));

    const results: BenchResults = {
      schema_version: RESULTS_SCHEMA_VERSION,
      generated_at: new Date().toISOString(),
      mode: options.quick ? 'quick' : 'full',
      duration_seconds: Math.round(Number(process.hrtime.bigint() - started) / 1e8) / 10,
      machine: describeMachine(tools, pinning.enabled, loadAtStart, runNote(options)),
      rows: ROW_IDS.map((id) => rows.get(id) as RowResult),
    };
    mkdirSync(options.outDir, { recursive: true });
    const notes = readNotes([join(options.outDir, 'RESULTS.md'), join(REPO_BENCH, 'RESULTS.md')]);
    writeFileSync(join(options.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(options.outDir, 'RESULTS.md'), renderMarkdown(results, ROW_SPECS, notes));
    for (const row of results.rows) {
      const figure =
        row.status === 'measured'
          ? `ratio ${row.ratio?.toFixed(2) ?? '—'}, ours ${row.ours?.toFixed(2)} ${row.unit}, goal ${row.goal.text}: ${row.met ? 'met' : 'MISSED'}`
          : `${row.status}: ${row.reason}`;
      log(`${row.id.padEnd(14)} ${figure}`);
    }
    log(`wrote ${join(options.outDir, 'results.json')} and RESULTS.md`);
    return results.rows.some((r) => r.status === 'failed') ? 1 : 0;
  } finally {
    await cleanup.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);

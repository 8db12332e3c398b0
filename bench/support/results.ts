/**
 * The rows `npm run bench` measures and the stable shape of bench/results.json. Other tools read that file:
 * change the shape only by bumping RESULTS_SCHEMA_VERSION, and keep RESULTS_JSON_SCHEMA in step with the types.
 */

export const RESULTS_SCHEMA_VERSION = 1;

/** Sizes and counts of one run; the full run uses the issue's figures, --quick a small corpus. */
export interface Scale {
  piiBytes: number;
  /** The file `tftsr pii scan` reads in the pii-cli row. */
  piiCliBytes: number;
  hashBytes: number;
  largeBytes: number;
  smallFiles: number;
  smallFileBytes: number;
  clients: number;
  noopJobs: number;
  connections: number;
  httpSeconds: number;
  searchIssues: number;
  searchRequests: number;
  rssBytes: number;
  reviewBytes: number;
  reviewSpans: number;
  reviewRequests: number;
  /** Spans of the one scan run the writer-ceiling row commits per run. */
  writerSpans: number;
  /** The scan-scale row's files (sparse logs) and the size of each. */
  scanFiles: number;
  scanFileBytes: number;
}

/** `higher`: a bigger figure of ours is better (throughput); `lower`: smaller is better (time, latency, memory). */
export type Direction = 'higher' | 'lower';

/** The goal applies to the ratio ours/baseline, or, for rows without a baseline, to our own figure. */
export interface Goal {
  on: 'ratio' | 'ours';
  op: '>=' | '<=';
  value: number;
}

export interface RowSpec {
  id: string;
  what: (scale: Scale) => string;
  baselineWhat: string | null;
  unit: string;
  baselineUnit: string | null;
  direction: Direction;
  goal: Goal;
  /** How the figure is taken, for the generated RESULTS.md. */
  method: string;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => (bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${Math.round(bytes / MiB)} MiB`);

export const ROW_SPECS = [
  {
    id: 'pii-detect',
    what: (s) => `PII detection, one core, ${mib(s.piiBytes)} of repeated loghub logs`,
    baselineWhat: '`rg -o -b -f <same patterns>` on the same file',
    unit: 'MB/s',
    baselineUnit: 'MB/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 1.0 },
    method:
      "The engine's `scanStream` over the file, spans counted one by one, in the bench process; ripgrep with the engine's 18 types as Rust regexes (bench/pii/rg-patterns.ts). Both pinned to the same core; runs alternate.",
  },
  {
    id: 'pii-cli',
    what: (s) => `\`tftsr pii scan FILE --json\`, whole process, one core, ${mib(s.piiCliBytes)} of repeated loghub logs`,
    baselineWhat: '`rg -o -b -f <same patterns>` on the same file, whole process',
    unit: 'MB/s',
    baselineUnit: 'MB/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 1.0 },
    method:
      'The CLI as a user runs it (`node bin/tftsr.js pii scan FILE --json > /dev/null`: start-up, module loading, a cold JIT, reading, scanning and writing every span as a JSON line), timed from spawn to exit, against `rg -o -b -f` with bench/pii/rg-patterns.ts spawned the same way. Both pinned to the same core; runs alternate. Issue 17.',
  },
  {
    id: 'hash-blob',
    what: (s) => `SHA-256 of a stored (encrypted) ${mib(s.hashBytes)} file, as the hash job does it`,
    baselineWhat: '`openssl dgst -sha256` on the plaintext file',
    unit: 'MB/s',
    baselineUnit: 'MB/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.8 },
    method:
      "The worker's `HasherService.hashBlob` (BlobStore.openRead: read, AES-256-GCM decrypt per 64 KiB chunk, SHA-256) on a blob written by `BlobStore.write`; the digests are checked equal. Both pinned to the same core.",
  },
  {
    id: 'upload-large',
    what: (s) => `Upload to spans committed, one ${mib(s.largeBytes)} file, over HTTP`,
    baselineWhat: '`sha256sum` then `rg -o -b -f` on the same file, one after the other',
    unit: 's',
    baselineUnit: 's',
    direction: 'lower',
    goal: { on: 'ratio', op: '<=', value: 2.0 },
    method:
      'From the first byte sent to the file reading `ready` (hash and PII spans committed), through the real API and worker processes; realistic sparse logs (bench/support/log-corpus.ts). Not pinned: the pipeline uses both cores.',
  },
  {
    id: 'upload-small',
    what: (s) =>
      `Upload to spans committed, ${s.smallFiles.toLocaleString('en')} files of ${s.smallFileBytes / 1024} KB, ${s.clients} concurrent clients`,
    baselineWhat: 'raw BullMQ: no-op jobs through the same Redis',
    unit: 'files/s',
    baselineUnit: 'jobs/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.2 },
    method:
      'Files per second from the first upload to the last file ready (counted in the database, so polling does not load the API); the baseline adds no-op jobs from 16 concurrent producers and runs them with one BullMQ Worker (concurrency 2). Not pinned.',
  },
  {
    id: 'issues-create',
    what: (s) => `\`POST /v1/issues\`, autocannon, ${s.connections} connections`,
    baselineWhat: 'a bare Fastify route that inserts the same row, same `synchronous` setting, same encrypted database setup',
    unit: 'req/s',
    baselineUnit: 'req/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.5 },
    method:
      'autocannon (programmatic) for a fixed time per run against the API (production mode) and against bench/servers/bare-issues.server.ts (SQLCipher database, migrated, one `BEGIN IMMEDIATE` insert per request); 2xx responses per second. Servers on one core, the load generator on the other.',
  },
  {
    id: 'issues-get',
    what: (s) => `\`GET /v1/issues/:id\`, autocannon, ${s.connections} connections`,
    baselineWhat: 'a bare Fastify route that returns a constant JSON of the same size',
    unit: 'req/s',
    baselineUnit: 'req/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.5 },
    method: "As for POST; the bare route returns (and serialises) the API's own response body for that issue, parsed once at start-up.",
  },
  {
    id: 'issues-search',
    what: (s) => `\`GET /v1/issues?q=\` over ${s.searchIssues.toLocaleString('en')} issues, p99 latency`,
    baselineWhat: 'the same FTS5 query run directly on the database (IssueRepository.list, same arguments)',
    unit: 'ms',
    baselineUnit: 'ms',
    direction: 'lower',
    goal: { on: 'ratio', op: '<=', value: 3.0 },
    method:
      'p99 of sequential requests over one keep-alive connection, cycling over six queries (common word, domain term, two terms, prefix, rare term, term + filters); the baseline runs the same repository call in the bench process on a read-only connection to the same encrypted file.',
  },
  {
    id: 'rss-api',
    what: (s) => `Peak RSS of the API while a ${mib(s.rssBytes)} file is uploaded and scanned`,
    baselineWhat: null,
    unit: 'MiB',
    baselineUnit: null,
    direction: 'lower',
    goal: { on: 'ours', op: '<=', value: 256 },
    method: 'VmHWM from /proc/<pid>/status of the API process, spawned from dist as `npm start` does, fresh for each run.',
  },
  {
    id: 'rss-worker',
    what: (s) => `Peak RSS of the worker while a ${mib(s.rssBytes)} file is uploaded and scanned`,
    baselineWhat: null,
    unit: 'MiB',
    baselineUnit: null,
    direction: 'lower',
    goal: { on: 'ours', op: '<=', value: 256 },
    method: 'VmHWM of the worker process (its scan thread included), same runs as rss-api.',
  },
  {
    id: 'review-values',
    what: (s) =>
      `\`GET /v1/log-files/:id/pii/values\` on a ${mib(s.reviewBytes)} file with ${s.reviewSpans.toLocaleString('en')} spans, p99 latency`,
    baselineWhat: 'the same repository query (PiiFileValueRepository.listValues) run directly on the database',
    unit: 'ms',
    baselineUnit: 'ms',
    direction: 'lower',
    goal: { on: 'ours', op: '<=', value: 1000 },
    method:
      'p99 of sequential requests over one keep-alive connection, cycling over the first page, one type, and the kept values (none kept, so every value is read); the file, its spans and its review index are written directly (bench/support/review-corpus.ts), 40 % of the spans one IP. Goal from issue 12: under 1 s.',
  },
  {
    id: 'review-lines',
    what: (s) =>
      `\`GET /v1/log-files/:id/lines\` (200 lines) on a ${mib(s.reviewBytes)} file with ${s.reviewSpans.toLocaleString('en')} spans, p99 latency`,
    baselineWhat: 'readLines plus the window’s spans, run directly on the same files',
    unit: 'ms',
    baselineUnit: 'ms',
    direction: 'lower',
    goal: { on: 'ours', op: '<=', value: 100 },
    method:
      'p99 of sequential 200-line windows at spread-out offsets over one keep-alive connection; same file as review-values. Goal from issue 12: under 100 ms.',
  },
  {
    id: 'ingest-ndjson',
    what: () => '`POST /v1/issues/:id/log-streams/:stream`, NDJSON (100 lines, ~12 KB a request), autocannon, 64 connections',
    baselineWhat:
      'a bare Node HTTP server appending the same bodies to one file, answering after one fdatasync per group of concurrent requests (the API: one commit per group)',
    unit: 'req/s',
    baselineUnit: 'req/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.5 },
    method:
      'autocannon for a fixed time per run against the API (production mode, an ingest key, chunks of the default 8 MiB, no worker) ' +
      'and against bench/servers/bare-append.server.ts (node:http, appendFile + one fdatasync for all bodies that arrived while the ' +
      'previous one ran, then their answers; the API commits once, synchronous=FULL, for all shipper requests admitted when the last ' +
      'of them is ready, waiting at most 5 ms); 2xx responses per second. Servers on one core, the load generator on the other.',
  },
  {
    id: 'writer-ceiling',
    what: (s) => `PII spans committed by one writer, encrypted database, one scan run of ${s.writerSpans.toLocaleString('en')} spans`,
    baselineWhat:
      'a plain INSERT loop into an unencrypted SQLite file, same pii_spans table and indexes, same batches, WAL, synchronous=FULL',
    unit: 'spans/s',
    baselineUnit: 'spans/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 0.5 },
    method:
      "The worker's write path on a migrated SQLCipher database (synchronous=FULL, WAL), in the bench process: PiiSpanRepository.beginRun + writeRun, one `BEGIN IMMEDIATE` transaction per 5,000 spans, then publishRun with the last batch in the finishing transaction (the swap), a fresh log file per run; against better-sqlite3 on a plain file with the DDL of pii_spans and its indexes copied from the migrated database (foreign keys off: there is no log_files table), the same rows, 5,000 per transaction. Both pinned to the same core; runs alternate. Issue 19: the ceiling of one writer host.",
  },
  {
    id: 'scan-scale',
    what: (s) =>
      `scan-bound throughput, two scanner processes, ${s.scanFiles} files of ${(s.scanFileBytes / 1e6).toFixed(0)} MB (sparse logs)`,
    baselineWhat: 'one scanner process, the same files, the same run',
    unit: 'MB/s',
    baselineUnit: 'MB/s',
    direction: 'higher',
    goal: { on: 'ratio', op: '>=', value: 1.6 },
    method:
      'Issue 19: compiled workers with TFTSR_WORKER_ROLE=scanner (one job at a time each, the pass on a thread), s3rver holding the blobs and their sealed orders, Redis. The clock runs from adding every scan_blob job (scanners already up and idle) until every job completed (its sealed result stored); MB of log per second. Two scanners against one, runs alternating; nothing pinned.',
  },
] as const satisfies readonly RowSpec[];

export type RowId = (typeof ROW_SPECS)[number]['id'];
export const ROW_IDS: readonly RowId[] = ROW_SPECS.map((spec) => spec.id);

export interface RunPair {
  ours: number;
  /** null for rows without a baseline. */
  baseline: number | null;
}

export interface Spread {
  min: number;
  max: number;
}

/** One row of bench/results.json. */
export interface RowResult {
  id: RowId;
  what: string;
  baseline_what: string | null;
  /** `skipped`: a tool or service it needs is missing (see reason); `failed`: it ran and broke (see reason). */
  status: 'measured' | 'skipped' | 'failed';
  reason: string | null;
  unit: string;
  baseline_unit: string | null;
  direction: Direction;
  /** Medians of `runs`; null unless measured (baseline also null for rows without one). */
  ours: number | null;
  baseline: number | null;
  /** ours / baseline, the two medians above; null without a baseline or unless measured. */
  ratio: number | null;
  goal: Goal & { text: string };
  /** Whether the goal holds; null unless measured. */
  met: boolean | null;
  /** Every counted run, warm-ups excluded, in the order taken (ours and baseline alternate). */
  runs: RunPair[];
  warmups: number;
  spread: { ours: Spread | null; baseline: Spread | null };
  /** How the processes were pinned to cores for this row, in words. */
  pinning: string;
  /** Row-specific facts: sizes, counts, versions. */
  details: Record<string, string | number>;
}

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  memory_gib: number;
  os: string;
  node: string;
  tools: Record<string, string | null>;
  shared_machine: string;
  pinning: boolean;
  load_average_start: number[];
  load_average_end: number[];
  note: string | null;
}

export interface BenchResults {
  schema_version: typeof RESULTS_SCHEMA_VERSION;
  generated_at: string;
  mode: 'full' | 'quick';
  duration_seconds: number;
  machine: MachineInfo;
  rows: RowResult[];
}

export function goalText(goal: Goal): string {
  const op = goal.op === '>=' ? '≥' : '≤';
  return goal.on === 'ratio' ? `${op} ${goal.value.toFixed(1)}×` : `${op} ${goal.value}`;
}

export function goalMet(goal: Goal, ours: number, ratio: number | null): boolean {
  const subject = goal.on === 'ratio' ? (ratio as number) : ours;
  return goal.op === '>=' ? subject >= goal.value : subject <= goal.value;
}

const nullable = (type: string) => ({ type: [type, 'null'] });
const spread = {
  type: ['object', 'null'],
  required: ['min', 'max'],
  additionalProperties: false,
  properties: { min: { type: 'number' }, max: { type: 'number' } },
};

/** JSON Schema (draft 2020-12 subset, as Ajv reads it) of bench/results.json. */
export const RESULTS_JSON_SCHEMA = {
  type: 'object',
  required: ['schema_version', 'generated_at', 'mode', 'duration_seconds', 'machine', 'rows'],
  additionalProperties: false,
  properties: {
    schema_version: { const: RESULTS_SCHEMA_VERSION },
    generated_at: { type: 'string' },
    mode: { enum: ['full', 'quick'] },
    duration_seconds: { type: 'number' },
    machine: {
      type: 'object',
      required: [
        'cpu_model',
        'cores',
        'memory_gib',
        'os',
        'node',
        'tools',
        'shared_machine',
        'pinning',
        'load_average_start',
        'load_average_end',
        'note',
      ],
      additionalProperties: false,
      properties: {
        cpu_model: { type: 'string' },
        cores: { type: 'integer', minimum: 1 },
        memory_gib: { type: 'number' },
        os: { type: 'string' },
        node: { type: 'string' },
        tools: { type: 'object', additionalProperties: nullable('string') },
        shared_machine: { type: 'string' },
        pinning: { type: 'boolean' },
        load_average_start: { type: 'array', items: { type: 'number' } },
        load_average_end: { type: 'array', items: { type: 'number' } },
        note: nullable('string'),
      },
    },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: [
          'id',
          'what',
          'baseline_what',
          'status',
          'reason',
          'unit',
          'baseline_unit',
          'direction',
          'ours',
          'baseline',
          'ratio',
          'goal',
          'met',
          'runs',
          'warmups',
          'spread',
          'pinning',
          'details',
        ],
        additionalProperties: false,
        properties: {
          id: { enum: [...ROW_IDS] },
          what: { type: 'string' },
          baseline_what: nullable('string'),
          status: { enum: ['measured', 'skipped', 'failed'] },
          reason: nullable('string'),
          unit: { type: 'string' },
          baseline_unit: nullable('string'),
          direction: { enum: ['higher', 'lower'] },
          ours: nullable('number'),
          baseline: nullable('number'),
          ratio: nullable('number'),
          goal: {
            type: 'object',
            required: ['on', 'op', 'value', 'text'],
            additionalProperties: false,
            properties: {
              on: { enum: ['ratio', 'ours'] },
              op: { enum: ['>=', '<='] },
              value: { type: 'number' },
              text: { type: 'string' },
            },
          },
          met: nullable('boolean'),
          runs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['ours', 'baseline'],
              additionalProperties: false,
              properties: { ours: { type: 'number' }, baseline: nullable('number') },
            },
          },
          warmups: { type: 'integer', minimum: 0 },
          spread: {
            type: 'object',
            required: ['ours', 'baseline'],
            additionalProperties: false,
            properties: { ours: spread, baseline: spread },
          },
          pinning: { type: 'string' },
          details: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
        },
      },
    },
  },
} as const;

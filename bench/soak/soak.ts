/**
 * Soak benchmark (issue 7): mixed traffic (uploads, searches, publishes to the integration fakes) against the
 * real API and worker for a long run, with Redis restarted at 40 % of it and the worker at 65 %. Reports
 * throughput, p50/p99 latency, RSS over time and the number of lost or duplicated effects, into RESULTS.md.
 *
 *   npm run bench:soak                      30 minutes
 *   npm run bench:soak -- --minutes 1       a smoke run
 *   npm run bench:soak -- --out /tmp/x.md   somewhere else than bench/soak/RESULTS.md
 *
 * Exit code 1 when an effect was lost or duplicated or a post-check failed; the report is written either way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runPostChecks } from '../../test/system/support/post-checks';
import type { RssSample, SoakEvent } from './soak-report';
import { countEffects, renderReport } from './soak-report';
import { Recorder, Traffic } from './soak-traffic';
import { DB_KEY, SoakWorld } from './soak-world';

const SAMPLE_EVERY_MS = 5000;
const REDIS_DOWN_MS = 5000;
const DRAIN_TIMEOUT_MS = 5 * 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[soak] ${line}\n`);

function readOptions(): { minutes: number; out: string } {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, out: { type: 'string' } }, strict: true });
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes must be a positive number');
  // dist/bench/soak → the source tree's bench/soak.
  return { minutes, out: values.out ?? join(__dirname, '..', '..', '..', 'bench', 'soak', 'RESULTS.md') };
}

/** Samples RSS and the open outbox rows until stopped. */
function startSampler(world: SoakWorld, startedAt: number, workerRun: () => number): { samples: RssSample[]; stop(): void } {
  const samples: RssSample[] = [];
  const take = () => {
    let outboxOpen = -1;
    try {
      outboxOpen = world.count(`SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'dispatched')`);
    } catch {
      // A busy moment on the database is not worth a failed run; the next sample will have it.
    }
    samples.push({
      t: (Date.now() - startedAt) / 1000,
      api: world.rssMib('api'),
      worker: world.rssMib('worker'),
      workerRun: workerRun(),
      outboxOpen,
    });
  };
  take();
  const timer = setInterval(take, SAMPLE_EVERY_MS);
  return { samples, stop: () => clearInterval(timer) };
}

/** Waits until every accepted upload is processed and no publication or outbox row is still open. */
async function drain(world: SoakWorld, recorder: Recorder): Promise<number> {
  const started = Date.now();
  const open = () =>
    world.count(
      `SELECT count(*) AS n FROM log_file_processing WHERE NOT (hash_state IN ('done', 'failed') AND scan_state IN ('done', 'failed'))`,
    ) +
    world.count(`SELECT count(*) AS n FROM publications WHERE state = 'queued'`) +
    world.count(`SELECT count(*) AS n FROM outbox WHERE state IN ('pending', 'dispatched')`);
  while (open() > 0 && Date.now() - started < DRAIN_TIMEOUT_MS) await sleep(500);
  log(
    `drained in ${((Date.now() - started) / 1000).toFixed(1)} s (${open()} item(s) still open; ${recorder.acceptedUploads.length} uploads accepted)`,
  );
  return (Date.now() - started) / 1000;
}

async function main(): Promise<number> {
  const options = readOptions();
  const world = new SoakWorld();
  try {
    log('starting Redis, the fakes, the API and the worker');
    await world.start();
    const recorder = new Recorder();
    const traffic = new Traffic(world, recorder);
    await traffic.seed();

    const startedAt = Date.now();
    const until = startedAt + options.minutes * 60_000;
    const at = () => (Date.now() - startedAt) / 1000;
    const events: SoakEvent[] = [];
    let workerRun = 0;
    let redisOutage: { from: number; to: number } | null = null;
    const sampler = startSampler(world, startedAt, () => workerRun);

    const faults = (async () => {
      await sleep(options.minutes * 60_000 * 0.4);
      const from = at();
      events.push({
        t: from,
        what: `Redis stopped (SIGTERM), down for ${REDIS_DOWN_MS / 1000} s, restarted on the same port with its AOF`,
      });
      await world.restartRedis(REDIS_DOWN_MS);
      redisOutage = { from, to: at() };
      events.push({ t: at(), what: 'Redis answering again' });
      await sleep(Math.max(0, startedAt + options.minutes * 60_000 * 0.65 - Date.now()));
      events.push({ t: at(), what: 'worker restarted (SIGTERM with a 10 s grace, then a new process)' });
      await world.restartWorker();
      workerRun = 1;
      events.push({ t: at(), what: 'new worker process started' });
    })();

    log(`traffic for ${options.minutes} minute(s)`);
    await Promise.all([traffic.run(until), faults]);
    const trafficSeconds = at();
    const drainSeconds = await drain(world, recorder);
    sampler.stop();

    const postChecks = await runPostChecks({ dataDir: world.dataDir, key: DB_KEY, accepted: recorder.acceptedUploads });
    const effects = countEffects(world, recorder, postChecks, drainSeconds);
    writeFileSync(
      options.out,
      renderReport({
        minutes: options.minutes,
        startedAt,
        trafficSeconds,
        redisOutage,
        recorder,
        samples: sampler.samples,
        events,
        effects,
      }),
    );
    log(`report written to ${options.out}`);
    const clean =
      effects.uploads.lost + effects.uploads.duplicated + effects.publishes.notPublished.length + effects.publishes.duplicated === 0;
    return clean && postChecks.fileProblems.length === 0 && postChecks.audit.intact ? 0 : 1;
  } catch (err) {
    log(`failed: ${(err as Error).stack ?? String(err)}\n${world.tail()}`);
    return 2;
  } finally {
    await world.stop();
  }
}

void main().then((code) => process.exit(code));

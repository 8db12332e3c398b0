/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`, e.g. `npm run bench -- --profile DIR`): self time by
 * function and by where the code lives (our apps/libs, a package, Node internals, GC, idle).
 *
 * Also the idle share second by second: a bench group that alternates our runs with a baseline's leaves our
 * process idle during the baseline's, and the whole-profile idle share mixes the two.
 *
 *   node dist/bench/support/cpu-profile.js FILE.cpuprofile [more…] [--top 30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas?: number[];
}

/** Where a frame's code lives: a package name, our own top-level folder, Node itself, or V8's pseudo-frames. */
export function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node internals';
  const ours = /\/dist\/((?:apps|libs)\/[^/]+|bench|scripts)\//.exec(url);
  return ours ? ours[1] : url;
}

export interface ProfileSummary {
  totalMs: number;
  functions: { name: string; ms: number }[];
  places: { place: string; ms: number }[];
}

export function summarise(profiles: CpuProfile[]): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let totalMs = 0;
  for (const profile of profiles) {
    const sampleCount = profile.samples.length || 1;
    const msPerSample = (profile.endTime - profile.startTime) / 1000 / sampleCount;
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * msPerSample;
      if (ms === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const file = url.replace(/^.*\/(node_modules|dist)\//, '$1/');
      const name = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
      byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
      const place = placeOf(url, functionName);
      byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
      totalMs += ms;
    }
  }
  const sorted = <K extends string>(map: Map<string, number>, key: K) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([k, ms]) => ({ [key]: k, ms }) as Record<K, string> & { ms: number });
  return { totalMs, functions: sorted(byFunction, 'name'), places: sorted(byPlace, 'place') };
}

/** The idle share of each whole second of one profile, in percent, from its samples' time deltas. */
export function idleBySecond(profile: CpuProfile): number[] {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const seconds: { idle: number; all: number }[] = [];
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas?.[i] ?? 0;
    const second = (seconds[Math.floor(at / 1e6)] ??= { idle: 0, all: 0 });
    second.all += 1;
    if (idle.has(id)) second.idle += 1;
  });
  return Array.from(seconds, (s) => (s ? Math.round((100 * s.idle) / s.all) : 100));
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
  if (args.length === 0) throw new Error('usage: cpu-profile.js FILE.cpuprofile [more…] [--top N]');
  const profiles = args.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  const summary = summarise(profiles);
  const pct = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  process.stdout.write(`${(summary.totalMs / 1000).toFixed(1)} s sampled in ${args.length} profile(s)\n\nby place:\n`);
  for (const p of summary.places.slice(0, 15)) process.stdout.write(`${pct(p.ms)}  ${p.place}\n`);
  process.stdout.write('\nby function (self time):\n');
  for (const f of summary.functions.slice(0, top)) process.stdout.write(`${pct(f.ms)}  ${f.name}\n`);
  process.stdout.write("\nidle % by second (the seconds of a baseline's runs show as idle):\n");
  profiles.forEach((p, i) => process.stdout.write(`${args[i]}: ${idleBySecond(p).join(' ')}\n`));
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

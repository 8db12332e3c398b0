import Ajv from 'ajv';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOTES_BEGIN, NOTES_END } from '../../bench/support/report';
import type { BenchResults, RowResult } from '../../bench/support/results';
import { goalMet, RESULTS_JSON_SCHEMA, ROW_IDS, ROW_SPECS } from '../../bench/support/results';
import { makeTempDir } from '../support/temp-dir';

const RUN = join(__dirname, '..', '..', 'dist', 'bench', 'run.js');

/** What makes a measured row self-consistent: finite figures, the ratio and the verdict derived from them. */
function inconsistencies(row: RowResult): string[] {
  const spec = ROW_SPECS.find((s) => s.id === row.id)!;
  const problems: string[] = [];
  const finite = (name: string, v: number | null) => Number.isFinite(v) || problems.push(`${name} is ${v}`);
  if (row.status !== 'measured') {
    if (!row.reason) problems.push(`${row.status} without a reason`);
    if ([row.ours, row.baseline, row.ratio, row.met].some((v) => v !== null)) problems.push('figures on a row that was not measured');
    return problems;
  }
  finite('ours', row.ours);
  if (row.runs.length === 0) problems.push('no runs');
  row.runs.forEach((run, i) => finite(`runs[${i}].ours`, run.ours));
  if ((row.direction === 'higher') !== (row.goal.op === '>='))
    problems.push(`direction ${row.direction} disagrees with goal ${row.goal.op}`);
  if (spec.baselineWhat === null) {
    if (row.baseline !== null || row.ratio !== null) problems.push('a baseline on a row without one');
  } else {
    finite('baseline', row.baseline);
    row.runs.forEach((run, i) => finite(`runs[${i}].baseline`, run.baseline));
    if (Math.abs(row.ratio! - row.ours! / row.baseline!) > 1e-9 * Math.abs(row.ratio!))
      problems.push(`ratio ${row.ratio} is not ours/baseline`);
  }
  if (row.met !== goalMet(row.goal, row.ours!, row.ratio))
    problems.push(`met is ${row.met} for ratio ${row.ratio}, ours ${row.ours}, goal ${row.goal.text}`);
  if (row.spread.ours === null || row.spread.ours.min > row.ours! || row.spread.ours.max < row.ours!)
    problems.push('the median of ours is outside its spread');
  return problems;
}

describe('npm run bench -- --quick', () => {
  let out: ReturnType<typeof makeTempDir>;

  beforeAll(() => (out = makeTempDir('tftsr-bench-quick-')));
  afterAll(() => out.remove());

  it('measures every row (or says why it skipped one) and writes a well-formed results.json and RESULTS.md', async () => {
    // --out keeps the committed bench/RESULTS.md and results.json untouched.
    const bench = spawn(process.execPath, [RUN, '--quick', '--out', out.dir], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    bench.stdout.on('data', (d: Buffer) => (output += d.toString()));
    bench.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [code] = (await once(bench, 'exit')) as [number | null];
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });

    const results = JSON.parse(readFileSync(join(out.dir, 'results.json'), 'utf8')) as BenchResults;
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(RESULTS_JSON_SCHEMA);
    expect(validate(results) ? [] : validate.errors).toEqual([]);
    expect(results.mode).toBe('quick');
    expect(results.rows.map((r) => r.id)).toEqual([...ROW_IDS]);
    expect(results.rows.filter((r) => r.status === 'failed')).toEqual([]);
    expect(Object.fromEntries(results.rows.map((r) => [r.id, inconsistencies(r)]))).toEqual(
      Object.fromEntries(ROW_IDS.map((id) => [id, []])),
    );

    const markdown = readFileSync(join(out.dir, 'RESULTS.md'), 'utf8');
    for (const row of results.rows) expect(markdown).toContain(`| ${row.what} |`);
    expect(markdown).toContain(results.machine.cpu_model);
    expect(markdown).toContain(results.machine.shared_machine);
    expect(markdown.indexOf(NOTES_BEGIN)).toBeLessThan(markdown.indexOf(NOTES_END));
  }, 300_000);

  it('passes --app-env to the apps it starts, and says so in the run note', async () => {
    // A value the API's configuration refuses: the row fails only if the variable reached the process.
    const bench = spawn(
      process.execPath,
      [RUN, '--quick', '--only', 'issues-get', '--out', out.dir, '--app-env', 'TFTSR_SHUTDOWN_GRACE_MS=soon'],
      { env: { PATH: process.env.PATH ?? '', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, stdio: 'ignore' },
    );
    const [code] = (await once(bench, 'exit')) as [number | null];
    // A failed row fails the run.
    expect(code).toBe(1);
    const results = JSON.parse(readFileSync(join(out.dir, 'results.json'), 'utf8')) as BenchResults;
    const row = results.rows.find((r) => r.id === 'issues-get')!;
    expect([row.status, row.reason]).toEqual(['failed', expect.stringContaining('the api exited while starting')]);
    expect(results.machine.note).toBe('the apps ran with TFTSR_SHUTDOWN_GRACE_MS=soon');
  }, 120_000);
});

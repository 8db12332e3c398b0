import { Writable } from 'node:stream';
import { createLogger, REDACTED, REDACTED_FIELDS, withoutRedaction } from './logger';
import { PinoNestLogger } from './nest-logger';

/** A destination that keeps every line, parsed. */
function memory(): { stream: Writable; lines: () => Record<string, unknown>[]; raw: () => string } {
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  return {
    stream,
    raw: () => raw,
    lines: () =>
      raw
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('withoutRedaction', () => {
  it('writes to the same stream, at the same level, in the same format, as the logger it comes from', () => {
    const out = memory();
    const root = createLogger({ service: 'api', level: 'warn', destination: out.stream });
    const sut = withoutRedaction(root);
    sut.info({ route: '/v1/issues/:id' }, 'below the level');
    sut.warn({ request_id: 'r-1', route: '/v1/issues/:id', status: 200 }, 'GET /v1/issues/:id 200');
    root.warn({ request_id: 'r-2' }, 'from the root');
    expect(out.lines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        service: 'api',
        pid: process.pid,
        request_id: 'r-1',
        status: 200,
        msg: 'GET /v1/issues/:id 200',
      }),
      expect.objectContaining({ level: 'warn', service: 'api', request_id: 'r-2', msg: 'from the root' }),
    ]);
  });
});

describe('createLogger redaction', () => {
  const canary = (field: string) => `CANARY-${field}-${Math.random().toString(36).slice(2)}`;

  it.each(REDACTED_FIELDS.map((f) => [f]))('never writes the value of %s, at the top level or nested in objects and headers', (field) => {
    const out = memory();
    const sut = createLogger({ service: 'test', level: 'info', destination: out.stream });
    const values = [canary(field), canary(field), canary(field), canary(field)];
    sut.info({ [field]: values[0], user: { [field]: values[1] }, req: { headers: { [field]: values[2] } }, request_id: 'r-1' }, 'one');
    sut.info({ job: { data: { [field]: values[3] } } }, 'two');
    for (const value of values) expect(out.raw()).not.toContain(value);
    const [first] = out.lines();
    expect(first).toMatchObject({
      [field]: REDACTED,
      user: { [field]: REDACTED },
      req: { headers: { [field]: REDACTED } },
      request_id: 'r-1',
    });
  });

  it('redacts fields of object messages logged through Nest’s Logger', () => {
    const out = memory();
    const sut = new PinoNestLogger(createLogger({ service: 'test', level: 'info', destination: out.stream }));
    const secret = canary('password');
    const content = canary('content');
    sut.warn({ msg: 'saving', password: secret, issue: { description: content }, issue_id: 'i-1' }, 'IssuesService');
    expect(out.raw()).not.toContain(secret);
    expect(out.raw()).not.toContain(content);
    expect(out.lines()[0]).toMatchObject({ level: 'warn', msg: 'saving', context: 'IssuesService', issue_id: 'i-1', password: REDACTED });
  });

  it('writes one JSON object per line with an ISO time, the level name and the service', () => {
    const out = memory();
    createLogger({ service: 'worker', level: 'info', destination: out.stream }).info({ job_id: 'hash-1' }, 'job completed');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', service: 'worker', pid: process.pid, job_id: 'hash-1', msg: 'job completed' });
    expect(new Date(line.time as string).toISOString()).toBe(line.time);
  });

  it('drops lines below its level', () => {
    const out = memory();
    const sut = createLogger({ service: 'api', level: 'warn', destination: out.stream });
    sut.info('quiet');
    sut.warn('loud');
    expect(out.lines().map((l) => l.msg)).toEqual(['loud']);
  });
});

import { Logger } from '@nestjs/common';
import { Writable } from 'node:stream';
import { createLogger } from './logger';
import { PinoNestLogger } from './nest-logger';

function sutWithLines(level: 'info' | 'debug' = 'info'): { sut: PinoNestLogger; lines: () => Record<string, unknown>[] } {
  let raw = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += chunk.toString();
      done();
    },
  });
  const sut = new PinoNestLogger(createLogger({ service: 'test', level, destination: stream }));
  return {
    sut,
    lines: () =>
      raw
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('PinoNestLogger', () => {
  afterEach(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

  it('turns `new Logger(context).warn(message)` into a JSON line with the context', () => {
    const { sut, lines } = sutWithLines();
    Logger.overrideLogger(sut);
    new Logger('OutboxRelay').warn('2 job(s) had vanished from Redis');
    expect(lines()).toEqual([expect.objectContaining({ level: 'warn', context: 'OutboxRelay', msg: '2 job(s) had vanished from Redis' })]);
  });

  it('keeps the stack of an error, and the context after it', () => {
    const { sut, lines } = sutWithLines();
    Logger.overrideLogger(sut);
    const err = new Error('boom');
    new Logger('ErrorFilter').error('unhandled error', err.stack);
    new Logger('ErrorFilter').error('no stack here');
    expect(lines()[0]).toMatchObject({
      level: 'error',
      context: 'ErrorFilter',
      msg: 'unhandled error',
      stack: expect.stringContaining('Error: boom'),
    });
    expect(lines()[1]).toMatchObject({ level: 'error', context: 'ErrorFilter', msg: 'no stack here' });
    expect(lines()[1]).not.toHaveProperty('stack');
  });

  it('serialises an Error given as the message', () => {
    const { sut, lines } = sutWithLines();
    sut.error(new Error('redis gone'), 'Worker');
    expect(lines()[0]).toMatchObject({
      msg: 'redis gone',
      context: 'Worker',
      err: expect.objectContaining({ message: 'redis gone', type: 'Error' }),
    });
  });

  it('turns an object message into fields', () => {
    const { sut, lines } = sutWithLines();
    sut.log({ msg: 'job completed', job_id: 'hash-1', duration_ms: 12 }, 'WorkerRunner');
    expect(lines()[0]).toMatchObject({ level: 'info', msg: 'job completed', job_id: 'hash-1', duration_ms: 12, context: 'WorkerRunner' });
  });

  it('moves Nest’s start-up chatter to debug', () => {
    const quiet = sutWithLines('info');
    quiet.sut.log('Mapped {/v1/issues, POST} route', 'RouterExplorer');
    expect(quiet.lines()).toEqual([]);
    const verbose = sutWithLines('debug');
    verbose.sut.log('Mapped {/v1/issues, POST} route', 'RouterExplorer');
    expect(verbose.lines()[0]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
  });

  it('follows Logger.overrideLogger([levels]) by lowering or raising pino’s level', () => {
    const { sut, lines } = sutWithLines();
    sut.setLogLevels(['error', 'warn']);
    sut.log('hidden');
    sut.warn('shown');
    expect(lines().map((l) => l.msg)).toEqual(['shown']);
  });
});

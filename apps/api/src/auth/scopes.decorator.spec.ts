import { grants } from './scopes.decorator';

describe('grants', () => {
  it.each([
    [['read'], 'read', true],
    [['read'], 'write', false],
    [['write'], 'read', true],
    [['write'], 'admin', false],
    [['admin'], 'read', true],
    [['admin'], 'write', true],
    [['admin'], 'pii:reveal', false],
    [['pii:reveal'], 'read', false],
    [['read', 'pii:reveal'], 'pii:reveal', true],
    [['metrics'], 'metrics', true],
    [['admin'], 'metrics', true],
    [['metrics'], 'read', false],
    [['metrics'], 'admin', false],
    [['write'], 'metrics', false],
    [['ingest'], 'ingest', true],
    [['ingest'], 'read', false],
    [['ingest'], 'write', false],
    [['write'], 'ingest', true],
    [['read'], 'ingest', false],
  ] as const)('a key with %j %s the scope %s', (held, needed, expected) => {
    expect(grants(held, needed)).toBe(expected);
  });
});

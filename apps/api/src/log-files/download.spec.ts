import { redactedFileName } from './download';

describe('redactedFileName', () => {
  it.each([
    ['app.log', 'app.redacted.log'],
    ['server.2026-11-27.txt', 'server.2026-11-27.redacted.txt'],
    ['README', 'README.redacted'],
    ['.env', '.env.redacted'],
  ])('%s → %s', (name, expected) => expect(redactedFileName(name)).toBe(expected));
});

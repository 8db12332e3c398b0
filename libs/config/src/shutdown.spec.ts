import { SHUTDOWN_CLOSE_MARGIN_MS, SHUTDOWN_KILL_MARGIN_MS } from './shutdown';

describe('shutdown margins', () => {
  it('lets the worker give up on a hung close before whatever stops it sends SIGKILL', () => {
    expect(SHUTDOWN_CLOSE_MARGIN_MS).toBeGreaterThan(0);
    expect(SHUTDOWN_CLOSE_MARGIN_MS).toBeLessThan(SHUTDOWN_KILL_MARGIN_MS);
  });
});

import { assertEveryJobHasAHandler } from './worker-runner.service';
import { QueueProcessor } from './processor';

describe('assertEveryJobHasAHandler', () => {
  const ping = async () => ({ pong: true });

  it('accepts processors that cover every job and every queue', () => {
    const processors: QueueProcessor[] = [{ queue: 'system', handlers: { ping } }];
    expect(() => assertEveryJobHasAHandler(processors)).not.toThrow();
  });

  it('refuses to boot when a job has no handler', () => {
    const processors: QueueProcessor[] = [{ queue: 'system', handlers: {} }];
    expect(() => assertEveryJobHasAHandler(processors)).toThrow(/no handler for job\(s\) ping/);
  });

  it('refuses to boot when a queue has no processor', () => {
    expect(() => assertEveryJobHasAHandler([])).toThrow(/no processor for queue\(s\) system/);
  });
});

import { assertEveryJobHasAHandler } from './worker-runner.service';
import type { QueueProcessor } from './processor';

describe('assertEveryJobHasAHandler', () => {
  const ping = async () => ({ pong: true });

  const all: QueueProcessor[] = [
    { queue: 'system', handlers: { ping } },
    { queue: 'ingest', handlers: { hash: ping, detect_pii: ping, redact: ping } },
    { queue: 'publish', handlers: { publish: ping, deliver_webhook: ping } },
  ];

  it('accepts processors that cover every job and every queue', () => {
    const processors = all;
    expect(() => assertEveryJobHasAHandler(processors)).not.toThrow();
  });

  it('refuses to boot when a job has no handler', () => {
    const processors: QueueProcessor[] = [all[0], { queue: 'ingest', handlers: { hash: ping } }, all[2]];
    expect(() => assertEveryJobHasAHandler(processors)).toThrow(/no handler for job\(s\) detect_pii, redact;/);
  });

  it('refuses to boot when a queue has no processor', () => {
    expect(() => assertEveryJobHasAHandler([all[0]])).toThrow(/no processor for queue\(s\) ingest, publish/);
  });
});

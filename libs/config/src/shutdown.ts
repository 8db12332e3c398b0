/**
 * What stops the apps (compose's stop_grace_period, `npm start`) waits TFTSR_SHUTDOWN_GRACE_MS plus this before
 * SIGKILL, so that the apps stop on their own first.
 */
export const SHUTDOWN_KILL_MARGIN_MS = 5000;

/**
 * The worker's runner takes TFTSR_SHUTDOWN_GRACE_MS for running jobs, then closes its workers and connections;
 * the process gives up on a hung close this much later. Below SHUTDOWN_KILL_MARGIN_MS, so it exits (and says so)
 * before the SIGKILL, instead of racing it. The API gives requests in flight the grace period, then cuts them
 * (apps/api/src/common/connection-drain.ts), and gives the rest of its close this margin.
 */
export const SHUTDOWN_CLOSE_MARGIN_MS = 3000;

/**
 * SIGTERM and SIGINT close the application once and exit 0. If closing takes longer than the grace
 * period, the process exits 1 anyway: what was in flight is retried, never lost (jobs stall and rerun;
 * an unanswered request was never acknowledged).
 */
export function onShutdownSignal(
  logger: { log(m: string): void; warn(m: string): void },
  graceMs: number,
  close: () => Promise<unknown>,
): void {
  let closing = false;
  const handle = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received; shutting down (grace ${graceMs} ms)`);
    const timer = setTimeout(() => {
      logger.warn(`still shutting down after ${graceMs} ms; exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.warn(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handle);
  process.once('SIGINT', handle);
}

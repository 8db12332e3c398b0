/**
 * A test-only crash hook for the fault suite (test/system/faults): the process SIGKILLs itself at a named
 * point, to prove what survives a crash exactly there. Armed by TFTSR_FAULT_INJECT=test-only:<point>, and
 * BaseConfig refuses to load with the variable set unless NODE_ENV=test, so no deployment can start with it.
 *
 * - exit-after-commit: an upload's transaction (row, outbox rows, audit) has committed; nothing went to Redis.
 * - exit-after-enqueue: the relay put a job into Redis but has not yet marked its outbox row dispatched.
 * - exit-at-scan-start: the worker is about to scan a file for PII (each armed worker dies on its first scan).
 * - exit-rekey-mid-backup: `db rekey` has written half of its backup and changed nothing yet.
 * - exit-rekey-mid-rewrite: `db rekey` has re-encrypted the pages, not yet the audit chain and the credentials.
 * - exit-rekey-mid-rewrap: `db rekey` has rekeyed the database and rewrapped one blob of several.
 */
export const FAULT_POINTS = [
  'exit-after-commit',
  'exit-after-enqueue',
  'exit-at-scan-start',
  'exit-rekey-mid-backup',
  'exit-rekey-mid-rewrite',
  'exit-rekey-mid-rewrap',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

/** The value must carry the `test-only:` token, so a stray `exit-after-commit` in some environment is refused. */
export const FAULT_INJECT_PATTERN = new RegExp(`^test-only:(${FAULT_POINTS.join('|')})$`);

interface FaultSettings {
  NODE_ENV: string;
  TFTSR_FAULT_INJECT?: string;
}

/** The armed point, or null; never armed outside NODE_ENV=test, even if validation was somehow bypassed. */
export function armedFaultPoint(config: FaultSettings): FaultPoint | null {
  if (config.NODE_ENV !== 'test' || !config.TFTSR_FAULT_INJECT) return null;
  const match = FAULT_INJECT_PATTERN.exec(config.TFTSR_FAULT_INJECT);
  return match ? (match[1] as FaultPoint) : null;
}

/** Called at each point: SIGKILL, not exit(), so that no shutdown hook runs, as in a real crash. */
export function crashIfArmed(config: FaultSettings, point: FaultPoint): void {
  if (armedFaultPoint(config) !== point) return;
  process.stderr.write(`FAULT INJECTION: killing process ${process.pid} at ${point} (TFTSR_FAULT_INJECT, test only)\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** One loud line at start-up, so that an armed process is never mistaken for a normal one. */
export function warnIfFaultArmed(config: FaultSettings, logger: { warn(message: string): void }): void {
  const point = armedFaultPoint(config);
  if (point) logger.warn(`FAULT INJECTION ARMED: this process will SIGKILL itself at ${point}. For the test suite only.`);
}

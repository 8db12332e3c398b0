import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who owns a `blobs/tmp/*.part` file: its name says which host, process and process start wrote it, so a sweep
 * can tell a crashed writer's leftover from a write in progress (issue 22, item 5). Both the API (uploads) and
 * the worker (redacted copies) write here and both sweep, so neither may take the other's live file.
 */
const HOST = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
/** Distinguishes this process from an earlier one with the same pid (containers restart as pid 1). */
const BOOT = randomBytes(4).toString('hex');
const NAME = /^([0-9a-f]{8})\.(\d+)\.([0-9a-f]{8})\.[0-9a-f-]{36}\.part$/;

/** Temp files this process is writing now, whatever BlobStore instance writes them. */
export const TEMP_FILES_IN_USE = new Set<string>();

/** A file untouched this long is a leftover whoever wrote it: a write in progress touches its file continuously. */
export const STALE_TEMP_MS = 3600 * 1000;

export function newTempName(): string {
  return `${HOST}.${process.pid}.${BOOT}.${randomUUID()}.part`;
}

export type TempOwner = 'this-process' | 'live-process' | 'gone' | 'unknown';

/**
 * `gone`: written on this host by a process that no longer runs (or by an earlier run of this one). `unknown`:
 * another host (a shared volume), or an older name; only its age can tell.
 */
export function tempOwner(name: string, isAlive: (pid: number) => boolean = pidAlive): TempOwner {
  const match = NAME.exec(name);
  if (!match) return 'unknown';
  const [, host, pid, boot] = match;
  if (host !== HOST) return 'unknown';
  if (Number(pid) === process.pid) return boot === BOOT ? 'this-process' : 'gone';
  return isAlive(Number(pid)) ? 'live-process' : 'gone';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

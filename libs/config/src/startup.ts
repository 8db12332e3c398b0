import { accessSync, chmodSync, constants, mkdirSync } from 'node:fs';
import net from 'node:net';
import { ConfigError } from './load-config';

/** A start-up problem the operator fixes by changing a variable: printed as one line, no stack. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it is a file, not a directory',
  ENOSPC: 'no space left on the device',
};

/** The data directory exists (it is made if need be) and this process can write in it; else one line naming the variable. */
export function ensureDataDir(dir: string): void {
  try {
    // 0700 whatever the umask (issue 13): mkdir's mode is masked, so a directory made here is chmod'ed too.
    const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (created === dir) chmodSync(dir, 0o700);
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError([`TFTSR_DATA_DIR: cannot use ${dir} as the data directory: ${ERRNO_WORDS[code] ?? (err as Error).message}`]);
  }
}

/**
 * Checked before anything else happens (migrations, the one-time admin key): a port another process holds
 * is one line naming the variable, not a stack trace after the key was printed and lost.
 */
export async function assertPortFree(port: number, host: string, variable: string): Promise<void> {
  if (port === 0) return;
  const problem = await new Promise<string | null>((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) =>
      resolve(portProblem(err, port, variable) ?? `cannot listen on ${host}:${port} (${err.message}); set ${variable}`),
    );
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(null)));
  });
  if (problem) throw new StartupError(problem);
}

/** The one line for a listen() failure the operator fixes with a variable, or undefined for any other error. */
export function portProblem(err: unknown, port: number, variable: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'EADDRINUSE') return `port ${port} is in use; set ${variable}`;
  if (code === 'EACCES') return `port ${port} needs privileges this process does not have; set ${variable} to 1024 or above`;
  if (code === 'EADDRNOTAVAIL') return `the address to listen on is not on this host; check HOST`;
  return undefined;
}

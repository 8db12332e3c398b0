import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';

const STOP_GRACE_MS = 30_000;

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

/**
 * Everything a bench run leaves behind: child processes, temp dirs, Redis keys. `close()` undoes it all on the
 * normal path and on failure; the 'exit' hook is the last resort (a crash or a second Ctrl-C) and can only do
 * what is synchronous: SIGKILL the children and remove the dirs.
 */
export class Cleanup {
  private readonly children = new Set<ChildProcess>();
  private readonly dirs: string[] = [];
  private readonly tasks: (() => Promise<void>)[] = [];

  constructor() {
    process.once('exit', () => this.closeSync());
  }

  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  dir(path: string): string {
    this.dirs.push(path);
    return path;
  }

  /** Runs at close, before the dirs go, last registered first. The returned function unregisters it. */
  defer(task: () => Promise<void>): () => void {
    this.tasks.push(task);
    return () => {
      const i = this.tasks.indexOf(task);
      if (i >= 0) this.tasks.splice(i, 1);
    };
  }

  /** SIGTERM so apps flush (and --cpu-prof writes its profile), SIGKILL after a grace period. */
  async stop(child: ChildProcess, graceMs = STOP_GRACE_MS): Promise<void> {
    if (!running(child)) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => running(child) && child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stop(child)));
    for (const task of this.tasks.splice(0).reverse())
      await task().catch((err: Error) => process.stderr.write(`cleanup: ${err.message}\n`));
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }

  private closeSync(): void {
    for (const child of this.children) if (running(child)) child.kill('SIGKILL');
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** The launcher's supervisor: runs the apps, forwards signals, and stops everything in order. */
import { spawn } from 'node:child_process';
import { OperationsConfig, SHUTDOWN_KILL_MARGIN_MS } from '@tftsr/config';
import type { PrivateRedis } from './private-redis';
import { describeExit, isRunning, log, waitForExit } from './processes';

/** The apps' default shutdown grace plus the margin: the same 30 s as stop_grace_period in docker-compose.yml. */
export const DEFAULT_GRACE_MS = new OperationsConfig().TFTSR_SHUTDOWN_GRACE_MS + SHUTDOWN_KILL_MARGIN_MS;

export interface AppProcess {
  name: string;
  entry: string;
}

export interface Supervisor {
  /** The first call stops the apps gracefully; a second one kills them. */
  shutdown(signal: NodeJS.Signals): void;
  kill(signal: NodeJS.Signals): void;
  /** The launcher's exit code once the apps and the private Redis have stopped. */
  done: Promise<number>;
}

export interface SuperviseOptions {
  env: NodeJS.ProcessEnv;
  redis?: Pick<PrivateRedis, 'exited' | 'stop' | 'kill'>;
  /** How long the apps get after the forwarded signal before SIGKILL. */
  graceMs?: number;
}

/**
 * Runs the apps until a signal or until one of them (or the private Redis) exits, then stops
 * the rest in order: apps first, Redis last, because the worker needs Redis to finish its job.
 */
export function superviseApps(apps: AppProcess[], options: SuperviseOptions): Supervisor {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  // Own process groups, so the apps get the launcher's one forwarded signal and not a second from the terminal.
  const running = apps.map((app) => {
    const child = spawn(process.execPath, [app.entry], { stdio: 'inherit', env: options.env, detached: true });
    return { app, child, exited: waitForExit(child) };
  });
  let stopping = false;
  let failed = false;
  let redisGone = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const kill = (signal: NodeJS.Signals): void => {
    for (const { child } of running) if (isRunning(child)) child.kill(signal);
    options.redis?.kill(signal);
  };

  const stopAll = async (signal: NodeJS.Signals): Promise<void> => {
    for (const { child } of running) if (isRunning(child)) child.kill(signal);
    const timer = setTimeout(() => {
      const late = running.filter(({ child }) => isRunning(child)).map(({ app }) => app.name);
      log(`${late.join(' and ')} still running after ${graceMs / 1000}s; killing`);
      for (const { child } of running) if (isRunning(child)) child.kill('SIGKILL');
    }, graceMs);
    const statuses = await Promise.all(running.map(({ exited }) => exited));
    clearTimeout(timer);
    if (options.redis && !redisGone) {
      log('stopping the private Redis');
      const status = await options.redis.stop();
      if (status.code !== 0) log(`the private Redis exited with ${describeExit(status)}`);
    }
    const unclean = statuses.some((status) => status.code !== 0 && status.signal !== signal);
    resolveDone(failed || unclean ? 1 : 0);
  };

  const beginStop = (signal: NodeJS.Signals): void => {
    stopping = true;
    stopAll(signal).catch((error: unknown) => {
      log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      kill('SIGKILL');
      resolveDone(1);
    });
  };

  for (const { app, exited } of running) {
    void exited.then((status) => {
      if (stopping) return;
      failed = true;
      const others = running.filter((other) => other.app !== app).map((other) => other.app.name);
      if (options.redis) others.push('the private Redis');
      log(`${app.name} exited unexpectedly (${describeExit(status)}); stopping ${others.join(' and ') || 'nothing else'}`);
      beginStop('SIGTERM');
    });
  }
  void options.redis?.exited.then((status) => {
    redisGone = true;
    if (stopping) return;
    failed = true;
    log(`the private Redis exited unexpectedly (${describeExit(status)}); stopping the apps`);
    beginStop('SIGTERM');
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again; killing everything`);
      kill('SIGKILL');
      return;
    }
    log(`${signal}: stopping ${apps.map((app) => app.name).join(' and ')}`);
    beginStop(signal);
  };

  return { shutdown, kill, done };
}

/** How often the monitor's timer is due. */
const INTERVAL_MS = 10;

/**
 * The longest stretch this process's event loop stayed busy without yielding, counted in CPU time: a timer due
 * every 10 ms notes the wall clock and the process's CPU time, and a late tick's lateness counts only as far as the
 * process used the CPU meanwhile. On a loaded machine the OS also keeps an idle-ready process off the cores, and its
 * timers fire late while it uses no CPU: that is the machine's load, not a blocked loop, and a wall-clock measure
 * (monitorEventLoopDelay) cannot tell the two apart.
 */
export class LoopBlockMonitor {
  private timer?: NodeJS.Timeout;
  private last = sample();
  private longest = 0;

  start(): this {
    this.last = sample();
    this.timer = setInterval(() => this.tick(), INTERVAL_MS);
    return this;
  }

  /** Stops, and returns the longest busy stretch seen, in milliseconds. */
  stop(): number {
    clearInterval(this.timer);
    this.tick();
    return this.longest;
  }

  private tick(): void {
    const now = sample();
    const lateMs = Number(now.wall - this.last.wall) / 1e6 - INTERVAL_MS;
    const cpuMs = (now.cpu - this.last.cpu) / 1000;
    this.longest = Math.max(this.longest, Math.min(lateMs, cpuMs));
    this.last = now;
  }
}

function sample(): { wall: bigint; cpu: number } {
  const { user, system } = process.cpuUsage();
  return { wall: process.hrtime.bigint(), cpu: user + system };
}

import { LoopBlockMonitor } from './loop-block';

/** Spins until this process has used `ms` more of CPU time: a block of that much work, whatever the machine's load. */
function busyFor(ms: number): void {
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const end = cpu() + ms;
  while (cpu() < end) {
    // the work
  }
}

describe('LoopBlockMonitor', () => {
  it('measures a synchronous block by the CPU it took', async () => {
    const monitor = new LoopBlockMonitor().start();
    await new Promise((resolve) => setTimeout(resolve, 30));
    busyFor(300);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(monitor.stop()).toBeGreaterThanOrEqual(250);
  });

  it('does not count a wait that uses no CPU', async () => {
    const monitor = new LoopBlockMonitor().start();
    // Late timers without work: the loop sleeps in the kernel, as when the OS keeps the process off the cores.
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    Atomics.wait(sleeper, 0, 0, 300);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(monitor.stop()).toBeLessThan(100);
  });
});

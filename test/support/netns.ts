import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningApp } from './app-processes';
import { startApp, waitFor } from './app-processes';
import { makeTempDir } from './temp-dir';

/**
 * The project's own test subnet: 10.213.<run>.0/24, one /24 per rig, so that parallel runs never share one.
 * Names carry the owner's pid, so a later run can tell a crashed run's leftovers from a live run's.
 */
const SUBNET = '10.213';
/** Namespaces: `tftsr-<pid>-<run>-<host>`. */
const NS_PATTERN = /^tftsr-(\d+)-(\d+)-[a-z]+$/;
/** Interfaces (at most 15 characters): the bridge `tsr<run>br`, host X's end of its cable `tsr<run>x`. */
const BRIDGE_PATTERN = /^tsr(\d+)br$/;
/**
 * Set on every process a rig starts, the hub's included, to the rig's pid: a crashed run's processes outlive it
 * (reparented, some outside any namespace of ours), and this is how the next run finds them.
 */
export const RIG_OWNER_ENV = 'TFTSR_TEST_RIG_OWNER';
/** TFTSR_TEST_NETNS=off runs the fallback on purpose, to check it on a machine that has namespaces. */
const FORCED_OFF = process.env.TFTSR_TEST_NETNS === 'off';

export type Isolation = 'netns' | 'processes';

/** What this machine allows, found at once (a describe title needs it before any hook runs). */
export function probeIsolation(): { isolation: Isolation; reason?: string } {
  if (FORCED_OFF) return { isolation: 'processes', reason: 'TFTSR_TEST_NETNS=off' };
  const probe = `tftsr-${process.pid}-0-probe`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return { isolation: 'netns' };
  } catch (err) {
    return { isolation: 'processes', reason: (err as Error).message.split('\n')[0] };
  }
}

/** A process started on a host, like startApp's (its output kept for assertions and failure messages). */
export interface HostProcess extends RunningApp {
  host: string;
}

/**
 * One machine of the rig. With namespaces, a network namespace of its own, joined to the hub by a veth pair on a
 * bridge: its processes reach the others only through its address, and its link can be cut. In the fallback, plain
 * processes on this machine, whose "link cut" freezes them (SIGSTOP), which the others see the same way: silence.
 * Either way a directory of its own (cwd, HOME, TMPDIR of its processes).
 */
export class TestHost {
  private readonly children: ChildProcess[] = [];
  private hidden: string[] = [];

  constructor(
    readonly name: string,
    readonly address: string,
    readonly dir: string,
    /** The network namespace; undefined for the hub (the test's own namespace) and in the fallback. */
    readonly namespace: string | undefined,
    /** How a cut takes it off the network: the hub's end of its cable goes down, or (fallback) its processes freeze. */
    private readonly link: { cable: string } | 'freeze' | 'none',
  ) {}

  /**
   * Processes started on this host from now on do not see these directories (another host's data directory):
   * each gets an empty, unreadable tmpfs over them in its own mount namespace (`ip netns exec` makes one). False
   * in the fallback, which cannot hide anything.
   */
  hide(paths: string[]): boolean {
    if (!this.namespace) return false;
    this.hidden = [...paths];
    return true;
  }

  /** Runs `command` on this host; the process is tracked, so `killAll` and `close` reach it. */
  run(command: string, args: string[], env: Record<string, string>): ChildProcess {
    const [file, ...argv] = [...this.launcher(), command, ...args];
    const child = spawn(file, argv, { cwd: this.dir, env: this.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  /** The compiled API or worker on this host, with startApp's test defaults. */
  startApp(kind: 'api' | 'worker', env: Record<string, string>): HostProcess {
    const app = startApp(kind, this.env(env), { cwd: this.dir, launcher: this.launcher() });
    this.children.push(app.child);
    return { ...app, host: this.name };
  }

  private env(env: Record<string, string>): Record<string, string> {
    const tmp = join(this.dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    return { PATH: process.env.PATH ?? '', HOME: this.dir, TMPDIR: tmp, [RIG_OWNER_ENV]: String(process.pid), ...env };
  }

  /** What runs a command on this host and then execs it (so its pid is the command's own). */
  private launcher(): string[] {
    if (!this.namespace) return [];
    const netns = ['ip', 'netns', 'exec', this.namespace];
    if (this.hidden.length === 0) return netns;
    const mounts = this.hidden.map((p) => `mount -t tmpfs -o size=64k,mode=000 tftsr-hidden ${shellQuote(p)} || exit 97`);
    return [...netns, 'sh', '-c', `${mounts.join('; ')}; exec "$@"`, 'sh'];
  }

  /**
   * SIGKILLs every process on the host (with namespaces: every process in it, whoever started it) and resolves
   * once they are gone. Returns their pids.
   */
  async killAll(): Promise<number[]> {
    const pids = this.namespace ? netnsPids(this.namespace) : this.running().map((c) => c.pid as number);
    for (const pid of pids) signal(pid, 'SIGKILL');
    await Promise.all(this.running().map((child) => once(child, 'exit')));
    if (this.namespace) {
      const ns = this.namespace;
      await waitFor(
        async () => netnsPids(ns).length === 0,
        10_000,
        () => `processes left in ${ns}: ${netnsPids(ns).join(', ')}`,
      );
    }
    return pids;
  }

  /** Takes the host off the network: the hub's end of its cable goes down (fallback: its processes freeze). */
  async cutLink(): Promise<void> {
    if (this.link === 'none') throw new Error(`${this.name} is the hub; it has no link of its own to cut`);
    if (this.link === 'freeze') this.running().forEach((c) => signal(c.pid as number, 'SIGSTOP'));
    else ip('link', 'set', this.link.cable, 'down');
  }

  /** Puts the host back; resolves once both ends of the cable carry traffic again (fallback: its processes resume). */
  async restoreLink(): Promise<void> {
    if (this.link === 'none') return;
    if (this.link === 'freeze') {
      this.running().forEach((c) => signal(c.pid as number, 'SIGCONT'));
      return;
    }
    const cable = this.link.cable;
    const ns = this.namespace as string;
    ip('link', 'set', cable, 'up');
    await waitFor(
      async () => operstate(cable) === 'up' && / state UP /.test(ip('-n', ns, '-o', 'link', 'show', 'eth0')),
      10_000,
      () => `the link of ${this.name} did not come back up: ${ip('-o', 'link', 'show', cable)}`,
    );
  }

  /**
   * Makes the link towards this host a slow one (a token bucket on the hub's end of its cable): what it downloads
   * arrives at `mbit` per second whatever the CPUs do. False in the fallback, which has no link to shape.
   */
  limitLink(mbit: number): boolean {
    if (typeof this.link !== 'object') return false;
    execFileSync(
      'tc',
      ['qdisc', 'replace', 'dev', this.link.cable, 'root', 'tbf', 'rate', `${mbit}mbit`, 'burst', '64kb', 'latency', '200ms'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 10_000,
      },
    );
    return true;
  }

  /** Whether a TCP connection from this host to address:port opens within `timeoutMs`. */
  async canReach(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
    const script = `const s = require('net').connect(${port}, ${JSON.stringify(address)});
      s.setTimeout(${timeoutMs}, () => process.exit(2));
      s.on('connect', () => process.exit(0));
      s.on('error', () => process.exit(1));`;
    const child = this.run(process.execPath, ['-e', script], { PATH: process.env.PATH ?? '' });
    const [code] = (await once(child, 'exit')) as [number | null];
    return code === 0;
  }

  /** The namespace a process runs in ('' for the test's own), as the kernel says: proof of where it runs. */
  namespaceOf(pid: number): string {
    return ip('netns', 'identify', String(pid)).trim();
  }

  /** SIGKILLs what is left (stopped processes too) and waits for the exits. */
  async close(): Promise<void> {
    for (const child of this.running()) {
      signal(child.pid as number, 'SIGKILL');
      signal(child.pid as number, 'SIGCONT');
    }
    if (this.namespace) await this.killAll().catch(() => undefined);
    await Promise.all(this.running().map((child) => once(child, 'exit')));
  }

  private running(): ChildProcess[] {
    return this.children.filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
  }
}

/**
 * Hosts on this machine (issue 19's test rig): host A, the hub, is the test's own network namespace with the
 * bridge's address (Redis, the API and the S3 server listen there); every other host gets a network namespace
 * of its own with one cable to the bridge. Where namespaces cannot be made (no privileges, no `ip`), it falls
 * back to plain processes on 127.0.0.1, warns, and says so in `isolation` and `fallbackReason`.
 */
export class TestNetwork {
  private constructor(
    readonly isolation: Isolation,
    readonly fallbackReason: string | undefined,
    readonly hub: TestHost,
    readonly hosts: ReadonlyMap<string, TestHost>,
    private readonly bridge: string | undefined,
    private readonly temp: { dir: string; remove: () => void },
  ) {}

  /** `names`: the hosts besides the hub, e.g. ['B', 'C']: one letter each (interface names are short). */
  static async create(names: string[]): Promise<TestNetwork> {
    const temp = makeTempDir('tftsr-hosts-');
    const dirOf = (name: string) => {
      const dir = join(temp.dir, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    sweepStaleProcesses();
    const probe = probeIsolation();
    let reason = probe.reason;
    if (probe.isolation === 'netns') {
      sweepStaleNetwork();
      try {
        return await TestNetwork.withNamespaces(names, temp, dirOf);
      } catch (err) {
        reason = `creating the namespaces failed: ${(err as Error).message.split('\n')[0]}`;
      }
    }
    console.warn(
      `TEST RIG FALLBACK: no network namespaces (${reason}). Hosts ${names.join(', ')} are plain processes on 127.0.0.1 with ` +
        'directories of their own; a link cut is emulated by SIGSTOP. This run does not prove network isolation.',
    );
    const hosts = new Map(names.map((n) => [n, new TestHost(n, '127.0.0.1', dirOf(n), undefined, 'freeze')]));
    return new TestNetwork('processes', reason, new TestHost('A', '127.0.0.1', dirOf('A'), undefined, 'none'), hosts, undefined, temp);
  }

  private static async withNamespaces(
    names: string[],
    temp: { dir: string; remove: () => void },
    dirOf: (name: string) => string,
  ): Promise<TestNetwork> {
    const run = claimSubnet();
    const bridge = `tsr${run}br`;
    const created: string[] = [];
    try {
      ip('link', 'set', bridge, 'alias', `tftsr-${process.pid}`);
      ip('addr', 'add', `${SUBNET}.${run}.1/24`, 'dev', bridge);
      ip('link', 'set', bridge, 'up');
      const hosts = new Map<string, TestHost>();
      names.forEach((name, i) => {
        const letter = name.toLowerCase();
        if (!/^[a-z]$/.test(letter)) throw new Error(`host names are one letter, not ${name}`);
        const ns = `tftsr-${process.pid}-${run}-${letter}`;
        const cable = `tsr${run}${letter}`;
        const address = `${SUBNET}.${run}.${i + 2}`;
        ip('netns', 'add', ns);
        created.push(ns);
        ip('link', 'add', cable, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ip('link', 'set', cable, 'master', bridge, 'up');
        ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        hosts.set(name, new TestHost(name, address, dirOf(name), ns, { cable }));
      });
      const hub = new TestHost('A', `${SUBNET}.${run}.1`, dirOf('A'), undefined, 'none');
      return new TestNetwork('netns', undefined, hub, hosts, bridge, temp);
    } catch (err) {
      created.forEach((ns) => tryIp('netns', 'del', ns));
      tryIp('link', 'del', bridge);
      throw err;
    }
  }

  host(name: string): TestHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  /** Every process of every host SIGKILLed, then the namespaces, the cables and the bridge removed. */
  async close(): Promise<void> {
    await Promise.all([this.hub, ...this.hosts.values()].map((h) => h.close()));
    for (const host of this.hosts.values()) if (host.namespace) tryIp('netns', 'del', host.namespace);
    if (this.bridge) tryIp('link', 'del', this.bridge);
    this.temp.remove();
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
}

function netnsPids(ns: string): number[] {
  try {
    return ip('netns', 'pids', ns).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already exited.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function operstate(link: string): string {
  return readText(`/sys/class/net/${link}/operstate`) || 'absent';
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * A /24 no other rig holds: creating the bridge `tsr<run>br` is the claim (it fails if another rig made it
 * first), and no address of the subnet may be in use on this machine already. Starts at a pid-derived run.
 */
function claimSubnet(): number {
  const inUse = ip('-o', '-4', 'addr', 'show');
  const start = process.pid % 254;
  for (let i = 0; i < 254; i += 1) {
    const run = ((start + i) % 254) + 1;
    if (inUse.includes(` ${SUBNET}.${run}.`)) continue;
    try {
      ip('link', 'add', `tsr${run}br`, 'type', 'bridge');
      return run;
    } catch (err) {
      if (!/exists/i.test((err as Error).message)) throw err;
    }
  }
  throw new Error(`no free /24 left in ${SUBNET}.0.0/16`);
}

/** For a process that rewrites its environment area (redis-server sets its title there): a mark in its title. */
export function rigTitleMark(): string {
  return `tftsr-rig-${process.pid}`;
}

/** A crashed run's processes, found by RIG_OWNER_ENV or the title mark naming a pid that is gone; SIGKILLed. */
function sweepStaleProcesses(): void {
  const inEnv = new RegExp(`(?:^|\\0)${RIG_OWNER_ENV}=(\\d+)(?:\\0|$)`);
  const inTitle = /tftsr-rig-(\d+)/;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const owner = inEnv.exec(readText(`/proc/${entry}/environ`)) ?? inTitle.exec(readText(`/proc/${entry}/cmdline`));
    if (owner && !alive(Number(owner[1]))) signal(Number(entry), 'SIGKILL');
  }
}

/**
 * A crashed run's namespaces and bridges, whose owner pid is gone. Processes still in them are SIGKILLed first,
 * so that deleting a namespace really frees it (and the cables in it).
 */
function sweepStaleNetwork(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = line.split(' ')[0];
    const match = NS_PATTERN.exec(ns);
    if (!match || alive(Number(match[1]))) continue;
    netnsPids(ns).forEach((pid) => signal(pid, 'SIGKILL'));
    tryIp('netns', 'del', ns);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = (line.split(': ')[1] ?? '').split('@')[0];
    const match = BRIDGE_PATTERN.exec(name);
    if (!match) continue;
    const owner = /^tftsr-(\d+)$/.exec(readText(`/sys/class/net/${name}/ifalias`));
    if (owner && !alive(Number(owner[1]))) tryIp('link', 'del', name);
  }
}

import { spawnSync } from 'node:child_process';
import { describeRedis, parseRedisUrl, pingRedis } from '../../scripts/private-redis';
import { DEFAULT_REDIS_URL } from '../../scripts/start';

/** What a row may need from the machine. The bench installs none of it; it says how. */
export type Requirement = 'rg' | 'openssl' | 'sha256sum' | 'taskset' | 'redis';

const INSTALL: Record<Requirement, string> = {
  rg: 'apt-get install ripgrep',
  openssl: 'apt-get install openssl',
  sha256sum: 'apt-get install coreutils',
  taskset: 'apt-get install util-linux',
  redis: 'apt-get install redis-server && redis-server --daemonize yes (or set REDIS_URL to a running Redis)',
};

export interface ToolStatus {
  /** Version line of each tool, or null when it is missing. */
  versions: Record<Requirement, string | null>;
  redisUrl: string;
}

function versionLine(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return (
    `${r.stdout}${r.stderr}`
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? cmd
  );
}

async function redisVersion(url: string): Promise<string | null> {
  const ping = await pingRedis(parseRedisUrl(url));
  if (!ping.ok) return null;
  const IORedis = (await import('ioredis')).default;
  const client = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info('server');
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'} at ${describeRedis(parseRedisUrl(url))}`;
  } finally {
    client.disconnect();
  }
}

export async function checkTools(env: NodeJS.ProcessEnv): Promise<ToolStatus> {
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  return {
    redisUrl,
    versions: {
      rg: versionLine('rg', ['--version']),
      openssl: versionLine('openssl', ['version']),
      sha256sum: versionLine('sha256sum', ['--version']),
      taskset: versionLine('taskset', ['--version']),
      redis: await redisVersion(redisUrl).catch(() => null),
    },
  };
}

export function missing(status: ToolStatus, needs: readonly Requirement[]): Requirement[] {
  return needs.filter((need) => status.versions[need] === null);
}

export function skipReason(status: ToolStatus, absent: readonly Requirement[]): string {
  return absent
    .map((need) => (need === 'redis' ? `no Redis answers at ${describeRedis(parseRedisUrl(status.redisUrl))}` : `${need} is not installed`))
    .join('; ');
}

/** One line per missing tool, with the command that installs it. */
export function installAdvice(status: ToolStatus): string[] {
  return (Object.keys(INSTALL) as Requirement[])
    .filter((need) => status.versions[need] === null)
    .map(
      (need) =>
        `${skipReason(status, [need])}: ${INSTALL[need]}${need === 'taskset' ? ' (rows then run unpinned)' : ' (the rows that need it are skipped)'}`,
    );
}

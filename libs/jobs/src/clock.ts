import { dataNodes, type RedisClient } from './redis';

/**
 * Each process compares its clock with Redis `TIME` (issue 22, item 7): audit times come from the clock of the
 * process that writes them, so a skewed worker writes entries that `GET /v1/audit?from=…` cannot find.
 */
export const CLOCK_SKEW_WARN_MS = 5000;
/** Workers report their skew under this key (a number, no secret) for the API's readiness; it expires with them. */
const REPORT_TTL_S = 120;

/** This process's clock minus Redis's, in ms (positive: ahead), taken at the midpoint of the round trip. */
export async function measureClockSkew(redis: RedisClient): Promise<number> {
  const before = Date.now();
  const [seconds, micros] = await redis.time();
  const after = Date.now();
  const redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  return Math.round((before + after) / 2 - redisMs);
}

export function describeSkew(who: string, skewMs: number): string {
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return `the clock of ${who} is ${seconds} s ${skewMs > 0 ? 'ahead of' : 'behind'} Redis TIME: audit entries it writes get wrong times; sync it (NTP)`;
}

export function skewTooLarge(skewMs: number): boolean {
  return Math.abs(skewMs) > CLOCK_SKEW_WARN_MS;
}

export async function reportClockSkew(redis: RedisClient, prefix: string, who: string, skewMs: number): Promise<void> {
  await redis.set(`${prefix}:clock-skew:${who}`, String(skewMs), 'EX', REPORT_TTL_S);
}

/** Every skew reported by a live process under this prefix. SCAN is per server, so a Cluster's primaries are each asked. */
export async function readReportedSkews(redis: RedisClient, prefix: string): Promise<{ who: string; skewMs: number }[]> {
  const keys: string[] = [];
  for (const node of dataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:clock-skew:*`, 'COUNT', 100);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  if (keys.length === 0) return [];
  // One GET per key rather than MGET: a prefix without a hash tag spreads the keys over a Cluster's slots.
  const values = await Promise.all(keys.map((key) => redis.get(key)));
  return keys.flatMap((key, i) =>
    values[i] === null ? [] : [{ who: key.slice(`${prefix}:clock-skew:`.length), skewMs: Number(values[i]) }],
  );
}

import type { Db, Severity } from '@tftsr/db';
import { IssueRepository, newId, toDbTimestamp } from '@tftsr/db';

/** Words an incident tracker is full of; each issue draws a few, so a query for one matches ~5-15% of issues. */
const DOMAIN = (
  'database timeout connection pool exhausted kubernetes pod crashloop memory leak disk full latency spike dns resolution ' +
  'certificate expired tls handshake replication lag deadlock index corruption queue backlog worker stalled cache miss ' +
  'load balancer healthcheck failing deployment rollback config drift permission denied token expired rate limited ' +
  'packet loss firewall rule routing table nginx upstream gateway error authentication failure ldap sync cron job'
).split(' ');
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

function rng(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Text with a Zipf-like vocabulary of 5,000 ordinary words, plus a few domain words per issue. */
function textMaker(random: () => number): (words: number, domainWords: number) => string {
  const vocabulary = Array.from({ length: 5000 }, (_, n) => `w${n.toString(36)}`);
  const zipf = () => vocabulary[Math.min(vocabulary.length - 1, Math.floor(Math.exp(random() * Math.log(vocabulary.length))) - 1)];
  return (words, domainWords) => {
    const out = Array.from({ length: words }, zipf);
    for (let n = 0; n < domainWords; n += 1) out.splice(Math.floor(random() * out.length), 0, DOMAIN[Math.floor(random() * DOMAIN.length)]);
    return out.join(' ');
  };
}

/**
 * Inserts `count` issues through the real repository, so the FTS triggers index every row, 5,000 to a
 * transaction; the same seed always gives the same issues. Titles end in `#n`, so `#n` finds exactly one.
 */
export function seedIssues(db: Db, count: number): void {
  const repo = new IssueRepository(db);
  const text = textMaker(rng(42));
  const start = Date.parse('2025-01-01T00:00:00Z');
  for (let done = 0; done < count; done += 5000) {
    db.transaction(() => {
      for (let n = done; n < Math.min(count, done + 5000); n += 1) {
        const at = toDbTimestamp(new Date(start + n * 60_000));
        repo.insert({
          id: newId(),
          title: `${text(4, 2)} #${n}`,
          description: text(50, 4),
          severity: SEVERITIES[n % 4],
          status: n % 3 === 0 ? 'resolved' : 'open',
          category: n % 5 === 0 ? 'databases' : 'network',
          source: 'bench',
          created_at: at,
          updated_at: at,
          resolved_at: null,
          assigned_to: null,
          tags: JSON.stringify([`team-${n % 10}`]),
        });
      }
    }).immediate();
  }
}

import { Agent } from 'undici';
import { repeatedLog } from '../support/log-corpus';
import type { Service, SoakWorld } from './soak-world';
import { ADMIN_KEY, SERVICES } from './soak-world';

export type Operation = 'upload' | 'search' | 'publish';

/** Requests per second each kind of client aims at (closed loop: slower when the service is slower). */
export const TARGET_RATE: Record<Operation, { clients: number; perSecond: number }> = {
  upload: { clients: 2, perSecond: 4 },
  search: { clients: 2, perSecond: 8 },
  publish: { clients: 1, perSecond: 0.5 },
};

const SEARCH_WORDS = ['database', 'timeout', 'checkout', 'latency', 'cache', 'kafka', 'disk', 'memory', 'pool', 'dns*'];
const ISSUES = 20;

export interface Sample {
  at: number;
  ms: number;
  status: number | 'error';
}

/** Everything the clients saw, and every effect they were promised (a 202 for an upload or a publish). */
export class Recorder {
  readonly samples: Record<Operation, Sample[]> = { upload: [], search: [], publish: [] };
  readonly acceptedUploads: string[] = [];
  /** One entry per 202 to a publish: document and service. */
  readonly acceptedPublishes: { documentId: string; service: Service }[] = [];

  async time(op: Operation, fn: () => Promise<number>): Promise<number | 'error'> {
    const started = performance.now();
    let status: number | 'error';
    try {
      status = await fn();
    } catch {
      status = 'error';
    }
    this.samples[op].push({ at: Date.now(), ms: performance.now() - started, status });
    return status;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A log file of 8 to 64 KiB, mostly ordinary lines, every fifth one dense with PII; distinct per call. */
async function logFile(n: number): Promise<Buffer> {
  const size = 8 * 1024 + ((n * 7919) % (56 * 1024));
  const chunks: Buffer[] = [Buffer.from(`soak file ${n} ${Date.now()}\n`)];
  for await (const chunk of repeatedLog(size, n % 5 === 0 ? 'dense' : 'sparse')) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The mixed traffic of the soak: uploaders, searchers and a publisher, each paced to its target rate, until
 * `until`. Documents are generated from the seeded issues; a quarter of publishes repeat an earlier one (an
 * update of the same remote object, never a second object).
 */
export class Traffic {
  private readonly agent = new Agent({ keepAliveTimeout: 4_000, connections: 16 });
  private issueIds: string[] = [];
  private readonly documents: string[] = [];
  private uploads = 0;

  constructor(
    private readonly world: SoakWorld,
    readonly recorder: Recorder,
  ) {}

  async seed(): Promise<void> {
    const topics = [
      'database timeout in checkout',
      'cache latency after rollout',
      'kafka consumer lag',
      'disk pressure on nodes',
      'memory leak in pool',
      'dns resolution failures',
    ];
    for (let i = 0; i < ISSUES; i += 1) {
      const topic = topics[i % topics.length];
      const created = await this.world.call('POST', '/v1/issues', {
        title: `${topic} #${i}`,
        description: `Soak issue about ${topic}.`,
        severity: 'high',
      });
      if (created.status !== 201) throw new Error(`seeding answered ${created.status}`);
      this.issueIds.push((created.body as { id: string }).id);
    }
    const limit = await this.world.call('PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10_000 });
    if (limit.status !== 200) throw new Error(`raising the file limit answered ${limit.status}`);
  }

  async run(until: number): Promise<void> {
    const loops: Promise<void>[] = [];
    for (const op of Object.keys(TARGET_RATE) as Operation[]) {
      const { clients, perSecond } = TARGET_RATE[op];
      for (let c = 0; c < clients; c += 1) loops.push(this.loop(op, (1000 * clients) / perSecond, until));
    }
    await Promise.all(loops);
    await this.agent.close();
  }

  private async loop(op: Operation, intervalMs: number, until: number): Promise<void> {
    while (Date.now() < until) {
      const started = Date.now();
      await this.once(op);
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  }

  private once(op: Operation): Promise<unknown> {
    if (op === 'upload') return this.upload();
    if (op === 'search')
      return this.recorder.time('search', () => this.request('GET', `/v1/issues?q=${encodeURIComponent(pick(SEARCH_WORDS))}&limit=20`));
    return this.publish();
  }

  private async upload(): Promise<void> {
    const n = (this.uploads += 1);
    const body = await logFile(n);
    let id: string | undefined;
    await this.recorder.time('upload', async () => {
      const response = await fetch(`${this.world.base}/v1/issues/${pick(this.issueIds)}/log-files?file_name=soak-${n}.log`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
        body,
        dispatcher: this.agent,
      });
      const json = (await response.json()) as { id?: string };
      if (response.status === 202) id = json.id;
      return response.status;
    });
    if (id) this.recorder.acceptedUploads.push(id);
  }

  /** Generating a document is setup, not the measured operation; the publish request is. */
  private async publish(): Promise<void> {
    let documentId: string;
    if (this.documents.length > 0 && Math.random() < 0.25) {
      documentId = pick(this.documents);
    } else {
      const doc = await this.world.call('POST', `/v1/issues/${pick(this.issueIds)}/documents`, { doc_type: 'rca' }).catch(() => null);
      if (doc?.status !== 201) return;
      documentId = (doc.body as { id: string }).id;
      // Confluence titles are unique per space, and documents of one issue share theirs: a second one would be
      // refused by design (never overwriting a page it did not publish), which is not what this run measures.
      const renamed = await this.world
        .call('PATCH', `/v1/documents/${documentId}`, { title: `RCA soak document ${this.documents.length + 1}` })
        .catch(() => null);
      if (renamed?.status !== 200) return;
      this.documents.push(documentId);
    }
    const service = pick(SERVICES);
    const status = await this.recorder.time('publish', () => this.request('POST', `/v1/documents/${documentId}/publish`, { service }));
    if (status === 202) this.recorder.acceptedPublishes.push({ documentId, service });
  }

  private async request(method: string, path: string, body?: unknown): Promise<number> {
    const response = await fetch(`${this.world.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
    });
    await response.arrayBuffer();
    return response.status;
  }
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

import type { RunningApp } from './app-processes';
import { waitFor } from './app-processes';
import type { TestApi } from './api-harness';

export interface ChunkItem {
  state: string;
  lines: number;
  bytes: number;
  log_file_id: string | null;
}

/** GET /v1/issues/:id/log-streams, checked against the OpenAPI document. */
export async function streamsOf(api: TestApi, issueId: string): Promise<{ name: string; source: string; chunks: ChunkItem[] }[]> {
  const { status, body } = await api.call('GET', `/v1/issues/${issueId}/log-streams`);
  if (status !== 200) throw new Error(`log-streams answered ${status}`);
  return body.data;
}

/**
 * Waits until the issue's chunks hold at least `lines` lines and are all closed, then until each chunk's log file is
 * scanned; redacts every span and returns the redacted text of all chunks (in order) and the PII types found.
 */
export async function closedRedactedText(api: TestApi, worker: RunningApp, issueId: string, lines: number, timeoutMs = 60_000) {
  const chunks = await waitFor(
    async () => {
      const all = (await streamsOf(api, issueId)).flatMap((s) => s.chunks);
      return all.length > 0 && all.every((c) => c.state === 'closed') && all.reduce((n, c) => n + c.lines, 0) >= lines ? all : undefined;
    },
    timeoutMs,
    () => worker.output(),
  );
  const texts: string[] = [];
  const types: string[] = [];
  const get = (path: string) => fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${api.adminKey}` } });
  for (const chunk of chunks) {
    const id = chunk.log_file_id as string;
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${id}`)).body.status === 'ready',
      timeoutMs,
      () => worker.output(),
    );
    const spans = await api.call('GET', `/v1/log-files/${id}/pii-spans?limit=500`);
    types.push(...spans.body.items.map((s: { pii_type: string }) => s.pii_type));
    if ((await get(`/v1/log-files/${id}/content?variant=original`)).status !== 403)
      throw new Error('the original was served without pii:reveal');
    const redaction = await api.call('POST', `/v1/log-files/${id}/redactions`, { body: { all: true } });
    if (redaction.status !== 202) throw new Error(`redaction answered ${redaction.status}`);
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${id}/redactions/${redaction.body.id}`)).body.state === 'done' || undefined,
      timeoutMs,
      () => worker.output(),
    );
    const copy = await get(`/v1/log-files/${id}/content?variant=redacted`);
    if (copy.status !== 200) throw new Error(`the redacted copy answered ${copy.status}`);
    texts.push(await copy.text());
  }
  return { chunks, text: texts.join(''), types };
}

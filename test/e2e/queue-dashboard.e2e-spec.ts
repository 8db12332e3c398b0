import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_QUEUE_NAMES } from '@tftsr/jobs';
import { HEADER_SIZE } from '@tftsr/storage';
import { waitFor } from '../support/app-processes';
import { useTestStack } from '../support/api-harness';

const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
const LOG = [
  `2026-11-27 10:00:01 INFO c.e.Checkout - user ${EMAIL} logged in`,
  `2026-11-27 10:00:02 WARN c.e.Sync - aws_access_key_id=${AWS_KEY}`,
].join('\n');
const ID = /^[A-Za-z0-9._-]{1,128}$/;

const PAGE = '/admin/queues';
const ASSET = '/admin/queues/static/favicon-32x32.png';
const API = '/admin/queues/api/queues';

const basic = (key: string) => `Basic ${Buffer.from(`ops:${key}`).toString('base64')}`;

describe('the queue dashboard (Bull Board) at /admin/queues, with the real worker', () => {
  const { api, worker } = useTestStack('queue-dashboard');
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    writer = api.createKey('writer', ['read', 'write']);
    reader = api.createKey('reader', ['read', 'pii:reveal']);
  });

  /** The board's routes are raw Fastify routes, outside the OpenAPI document: plain fetch, not api.call. */
  /** Read to the end at once: an answer left unread (the dashboard's script is large) keeps its connection busy. */
  const get = async (path: string, authorization?: string) => {
    const response = await fetch(`${api.base}${path}`, { headers: authorization ? { authorization } : {} });
    return new Response(await response.arrayBuffer(), { status: response.status, headers: response.headers });
  };
  const put = (path: string, authorization: string) => fetch(`${api.base}${path}`, { method: 'PUT', headers: { authorization } });
  const json = async (path: string) => {
    const response = await get(path, `Bearer ${api.adminKey}`);
    expect(response.status).toBe(200);
    return response.json() as Promise<any>;
  };

  it('refuses an anonymous caller with 401 and a Basic challenge: the page, its assets and its JSON API', async () => {
    const requests: [string, string][] = [
      ['GET', PAGE],
      ['GET', ASSET],
      ['GET', API],
      ['PUT', `${API}/ingest/some-job/retry`],
    ];
    for (const [method, path] of requests) {
      const response = await fetch(`${api.base}${path}`, { method });
      const body = (await response.json()) as any;
      expect([path, response.status, body.error.code]).toEqual([path, 401, 'UNAUTHENTICATED']);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="TFTSR queue dashboard"/);
      expect(body.request_id).toBe(response.headers.get('x-request-id'));
    }
    const wrong = await get(API, basic('tftsr_not-a-key'));
    expect(wrong.status).toBe(401);
  });

  it('refuses keys without the admin scope with 403, whether sent as Bearer or as a Basic password', async () => {
    for (const key of [writer, reader]) {
      for (const authorization of [`Bearer ${key}`, basic(key)]) {
        for (const path of [PAGE, ASSET, API]) {
          const response = await get(path, authorization);
          expect([path, response.status, ((await response.json()) as any).error.code]).toEqual([path, 403, 'FORBIDDEN']);
        }
      }
    }
  });

  it('serves an admin the page, its scripts and its API, by Bearer (scripts) and by Basic (browsers); /docs keeps its own static files', async () => {
    for (const authorization of [`Bearer ${api.adminKey}`, basic(api.adminKey)]) {
      const page = await get(PAGE, authorization);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      const script = /src="([^"]*static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      const asset = await get(new URL(script as string, `${api.base}${PAGE}/`).pathname, authorization);
      expect([asset.status, asset.headers.get('content-type')]).toEqual([200, expect.stringMatching(/javascript/)]);
      expect((await get(ASSET, authorization)).status).toBe(200);
      expect((await get(API, authorization)).status).toBe(200);
    }
    expect((await get('/docs/swagger-ui.css')).status).toBe(200);
    expect(Object.keys(api.openapi.doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
  });

  it("lists every queue of libs/jobs ALL_QUEUE_NAMES, the scanners' queue included", async () => {
    const { queues } = await json(API);
    expect(queues.map((q: { name: string }) => q.name).sort()).toEqual([...ALL_QUEUE_NAMES].sort());
  });

  it('shows a job that failed for real, whose data holds only ids, and retries it', async () => {
    const issueId = (await api.createIssue()).id;
    const form = new FormData();
    form.append('file', new Blob([LOG]), 'app.log');
    const uploaded = await api.call('POST', `/v1/issues/${issueId}/log-files`, { rawBody: form });
    expect(uploaded.status).toBe(202);
    const fileId = uploaded.body.id;
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${fileId}`)).body.status === 'ready',
      30_000,
      () => worker.output(),
    );

    // A flipped byte fails the stored file's integrity check: the redact job fails at once, for good.
    const { p } = api.db.prepare('SELECT file_path AS p FROM log_files WHERE id = ?').get(fileId) as { p: string };
    const blob = join(api.dataDir, p);
    const flip = () => {
      const bytes = readFileSync(blob);
      bytes[HEADER_SIZE + 3] ^= 1;
      writeFileSync(blob, bytes);
    };
    flip();
    const requested = await api.call('POST', `/v1/log-files/${fileId}/redactions`, { body: { all: true }, key: writer });
    expect(requested.status).toBe(202);
    const requestId = requested.body.id;
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${fileId}/redactions/${requestId}`)).body.state === 'failed',
      30_000,
      () => worker.output(),
    );

    // The request is marked failed in the job's transaction, a moment before BullMQ moves the job to failed.
    const { listing, ingest, failed } = await waitFor(
      async () => {
        const listing = await json(`${API}?activeQueue=ingest&status=failed&page=1&jobsPerPage=50`);
        const ingest = listing.queues.find((q: { name: string }) => q.name === 'ingest');
        const failed = ingest.jobs.find(
          (j: { name: string; data: Record<string, unknown> }) => j.name === 'redact' && j.data.redaction_request_id === requestId,
        );
        return failed ? { listing, ingest, failed } : undefined;
      },
      30_000,
      () => worker.output(),
    );
    expect(failed.failedReason).toEqual(expect.any(String));
    expect(ingest.counts.failed).toBeGreaterThanOrEqual(1);
    // Ids only: every field is an id, and `generation` is the database's restore generation (issue 22), an id too.
    for (const [key, value] of Object.entries(failed.data as Record<string, unknown>)) {
      expect([key, key.endsWith('_id') || key === 'generation', ID.test(String(value))]).toEqual([key, true, true]);
    }
    expect(Object.keys(failed.data).sort()).toEqual(['generation', 'log_file_id', 'outbox_id', 'redaction_request_id', 'request_id']);
    const everything = JSON.stringify(listing);
    for (const content of [EMAIL, AWS_KEY, 'logged in']) expect(everything).not.toContain(content);

    flip();
    const retried = await put(`${API}/ingest/${encodeURIComponent(failed.id)}/retry`, basic(api.adminKey));
    expect(retried.status).toBe(204);
    const after = await waitFor(
      async () => {
        const { job, status } = await json(`${API}/ingest/${encodeURIComponent(failed.id)}`);
        // The board reads the job, then its state: wait until both show the rerun finished.
        return status === 'completed' && job.finishedOn ? job : undefined;
      },
      30_000,
      () => worker.output(),
    );
    // The outbox row had already failed for good, so the rerun has nothing to do: it completes, doing nothing twice.
    expect(after.returnValue).toEqual({ skipped: true, reason: 'already done' });
  });

  it('refuses to add jobs or change their data: Redis carries ids only, and jobs come from the outbox', async () => {
    const add = await fetch(`${api.base}${API}/ingest/add`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'hash', data: { content: LOG } }),
    });
    expect([add.status, ((await add.json()) as any).error.code]).toEqual([403, 'QUEUE_ACTION_NOT_ALLOWED']);
    const edit = await fetch(`${api.base}${API}/ingest/some-job/update-data`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jobData: { content: LOG } }),
    });
    expect([edit.status, ((await edit.json()) as any).error.code]).toEqual([403, 'QUEUE_ACTION_NOT_ALLOWED']);
  });
});

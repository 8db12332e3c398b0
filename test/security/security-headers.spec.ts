import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';

/**
 * Issue 13, item 8: /docs, /admin/queues and every other answer, HTML or JSON, refused or not, carry a CSP that
 * forbids framing, and nosniff; Swagger UI still loads, from its own origin only.
 */
describe('security headers', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('sec-headers');
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Reads the body too: a response left unread holds its connection, and the app's close would wait for it. */
  async function expectHardened(response: Response, what: string): Promise<void> {
    if (!response.bodyUsed) await response.arrayBuffer();
    const csp = response.headers.get('content-security-policy') ?? '';
    expect({
      what,
      csp: csp.includes("frame-ancestors 'none'") && csp.includes("default-src 'self'") && csp.includes("script-src 'self'"),
    }).toEqual({ what, csp: true });
    expect({ what, nosniff: response.headers.get('x-content-type-options') }).toEqual({ what, nosniff: 'nosniff' });
  }

  it('sends them on /docs, and Swagger UI loads all its assets from this origin', async () => {
    const page = await fetch(`${api.base}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    await expectHardened(page, '/docs');
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+\.(?:js|css|png))["']/g)].map((m) => new URL(m[1], `${api.base}/docs`));
    expect(assets.length).toBeGreaterThanOrEqual(4);
    // No inline script: script-src 'self' would block it.
    expect(html.replace(/<script[^>]*src=[^>]*>\s*<\/script>/g, '')).not.toMatch(/<script/);
    for (const asset of assets) {
      expect(asset.origin).toBe(new URL(api.base).origin);
      const response = await fetch(asset);
      expect({ asset: asset.pathname, status: response.status }).toEqual({ asset: asset.pathname, status: 200 });
      await expectHardened(response, asset.pathname);
    }
    const init = await (await fetch(`${api.base}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('openapi');
  });

  it('sends them on /admin/queues, signed in or refused', async () => {
    await expectHardened(await fetch(`${api.base}/admin/queues`), '/admin/queues without a key');
    const page = await fetch(`${api.base}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`ops:${api.adminKey}`).toString('base64')}` },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await expectHardened(page, '/admin/queues');
  });

  it('sends them on JSON answers, 2xx and 4xx alike', async () => {
    await expectHardened(await fetch(`${api.base}/v1/auth/whoami`, { headers: { authorization: `Bearer ${api.adminKey}` } }), 'whoami');
    await expectHardened(await fetch(`${api.base}/v1/auth/whoami`), 'whoami without a key');
    await expectHardened(await fetch(`${api.base}/v1/nothing`), 'unknown route');
    await expectHardened(await fetch(`${api.base}/health/live`), 'health');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { webUiRoot, WEB_UI_CSP } from '@tftsr/api/web-ui/web-ui-policy';
import { useTestApi } from '../support/api-harness';

const MAX_JS_GZIP_BYTES = 250 * 1024;

describe('the web app at /ui/', () => {
  const api = useTestApi('web-ui');
  const root = webUiRoot();

  /** Reads every body: an unread one keeps its connection busy, and the server's close would wait for it. */
  const fetchUi = async (path: string) => {
    const response = await fetch(`${api.base}${path}`, { redirect: 'manual' });
    const body = await response.text();
    return { status: response.status, headers: response.headers, text: async () => body };
  };

  it('is served from the dist/web of the repository root, not from the dist of a workspace package', () => {
    expect(root).toBe(join(__dirname, '..', '..', 'dist', 'web'));
  });

  it('is built by `npm run build` into dist/web, with at most 250 KB of gzipped JavaScript', () => {
    const assets = readdirSync(join(root, 'assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const gzipped = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(root, 'assets', f)), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(MAX_JS_GZIP_BYTES);
  });

  it('loads nothing from another origin and has no inline script or style', () => {
    const index = readFileSync(join(root, 'index.html'), 'utf8');
    for (const m of index.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
      expect(m[0]).toMatch(/\ssrc="\/ui\/assets\//);
      expect(m[1].trim()).toBe('');
    }
    expect(index).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    const everything = [index, ...readdirSync(join(root, 'assets')).map((f) => readFileSync(join(root, 'assets', f), 'utf8'))].join('\n');
    // No URL that a browser would fetch from elsewhere: fonts, scripts, stylesheets, imports.
    expect(everything).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\/|@import\s+url\(\s*["']?(?:https?:)?\/\/|url\(\s*["']?https?:\/\//i);
  });

  it.each(['/ui/', '/ui/issues/0190b6c4-1a2b-7c3d-8e4f-0123456789ab', '/ui/log-files/0190b6c4-1a2b-7c3d-8e4f-0123456789ab', '/ui/admin'])(
    'serves the app for %s without a key, with the strict CSP',
    async (path) => {
      const response = await fetchUi(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toBe(WEB_UI_CSP);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toContain('<div id="app"></div>');
    },
  );

  it('has a CSP with self only, no inline script and no framing', () => {
    const directives = Object.fromEntries(WEB_UI_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(WEB_UI_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
  });

  it('serves hashed assets as immutable with the CSP, and a missing asset is a 404, not the app', async () => {
    const js = readdirSync(join(root, 'assets')).find((f) => f.endsWith('.js')) as string;
    const asset = await fetchUi(`/ui/assets/${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect(asset.headers.get('content-security-policy')).toBe(WEB_UI_CSP);
    expect((await fetchUi('/ui/assets/index-missing.js')).status).toBe(404);
  });

  it('redirects /ui to /ui/', async () => {
    const response = await fetchUi('/ui');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/ui/');
  });

  it('is not in the OpenAPI document, and the API keeps needing a key', async () => {
    expect(Object.keys(api.openapi.doc.paths).filter((p) => p.startsWith('/ui'))).toEqual([]);
    expect((await fetchUi('/v1/issues')).status).toBe(401);
  });
});

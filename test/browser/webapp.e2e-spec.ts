import type { RunningApp } from '../support/app-processes';
import { waitFor } from '../support/app-processes';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import type { TestBrowser } from '../support/browser';
import { axeViolations, launchBrowser, screenshot } from '../support/browser';
import { FakeConfluence } from '../support/fakes/fake-confluence';

const CONFLUENCE_TOKEN = 'canary-browser-cf-token-5e1d';
const LOG = [
  '2026-11-27 10:00:01 INFO  [http-nio-8080-exec-3] c.e.Checkout - user jane.doe@example.org paid',
  '2026-11-27 10:00:02 WARN  [worker-2] c.e.Sync - using aws_access_key_id=AKIAQWERTYUIOPASDFGH',
  '2026-11-27 10:00:03 ERROR [worker-2] c.e.Sync - timeout after 30000 ms; retrying in 5 s',
].join('\n');

/**
 * The reviewers' web app in Debian's Chromium against the real API, worker and a fake Confluence: everything but
 * the log review screen (test/browser/log-review.e2e-spec.ts), with axe-core on every screen.
 */

// A browser flow spans uploads, worker jobs and publishing on a shared two-core machine: minutes, not the default minute.
jest.setTimeout(180_000);
describe('the web app in a browser', () => {
  let api: TestApi;
  let worker: RunningApp;
  let confluence: FakeConfluence;
  let browser: TestBrowser;
  let readKey: string;

  beforeAll(async () => {
    confluence = await FakeConfluence.start({ auth: { email: 'ops@example.com', token: CONFLUENCE_TOKEN } });
    const shared = { TFTSR_TEST_INTEGRATION_ORIGINS: confluence.origin };
    api = await startTestApi('browser', { ...shared, TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    worker = api.startWorker(shared);
    readKey = api.createKey('reader', ['read']);
    expect(
      (
        await api.call('PUT', '/v1/integrations/confluence/config', {
          body: { base_url: confluence.baseUrl, space_key: 'ENG', username: 'ops@example.com' },
        })
      ).status,
    ).toBe(200);
    expect((await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: CONFLUENCE_TOKEN } })).status).toBe(200);
    browser = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    await api?.close();
    await confluence?.close();
  });

  beforeEach(async () => {
    await browser.context.clearCookies();
    await browser.page.goto(`${api.base}/ui/`);
    await browser.page.evaluate('sessionStorage.clear()');
    await browser.page.goto(`${api.base}/ui/`);
  });

  afterEach(() => {
    expect(browser.problems).toEqual([]);
  });

  async function signIn(key: string): Promise<void> {
    const { page } = browser;
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('whoami').waitFor();
  }

  async function expectAccessible(name: string): Promise<void> {
    expect([name, await axeViolations(browser.page)]).toEqual([name, []]);
  }

  it('has a working accessibility check: axe reports a serious violation when there is one', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Sign in' }).evaluate((b) => ((b as unknown as { textContent: string }).textContent = ''));
    expect((await axeViolations(page)).map((v) => v.id)).toContain('button-name');
    await page.reload();
  });

  it('refuses a wrong key in words with the request_id, and keeps a good key in sessionStorage only', async () => {
    const { page } = browser;
    await expectAccessible('sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('tftsr_not-a-real-key-0000000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/not valid.*UNAUTHENTICATED \(HTTP 401\).*request_id/s);
    expect(await page.getByTestId('request-id').textContent()).toMatch(/^[A-Za-z0-9._-]+$/);

    await signIn(api.adminKey);
    const storage = JSON.parse(
      await page.evaluate<string>(
        'JSON.stringify({ session: Object.values(sessionStorage), local: localStorage.length, cookie: document.cookie })',
      ),
    );
    expect(storage).toEqual({ session: [api.adminKey], local: 0, cookie: '' });
    expect(await browser.context.cookies()).toEqual([]);
  });

  it('shows a read-only key its scopes and hides what it may not do', async () => {
    const { page } = browser;
    await api.createIssue({ title: 'Read-only visitor sees this' });
    await signIn(readKey);
    expect(await page.getByRole('list', { name: "Your key's scopes" }).textContent()).toBe('read');
    await page.getByRole('link', { name: 'Read-only visitor sees this' }).waitFor();
    expect(await page.getByRole('button', { name: 'New issue' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Read-only visitor sees this' }).click();
    await page.getByRole('heading', { name: 'Log files' }).waitFor();
    expect(await page.getByLabel('Upload a log file').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Generate RCA' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Add why' }).count()).toBe(0);
  });

  it('filters the issues list with search and severity/status chips, kept in the URL', async () => {
    const { page } = browser;
    await api.createIssue({ title: 'Payments gateway timeouts', severity: 'critical', status: 'investigating' });
    await api.createIssue({ title: 'Search index lag', severity: 'low', tags: ['search'] });
    await signIn(api.adminKey);
    await page.getByRole('link', { name: 'Search index lag' }).waitFor();
    await page.getByRole('group', { name: 'Severity' }).getByRole('button', { name: 'critical' }).click();
    await page.waitForURL(/severity=critical/);
    // The unfiltered rows stay until the filtered page arrives: wait for the one that must go.
    await page.getByRole('link', { name: 'Search index lag' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Payments gateway timeouts' }).waitFor();
    await page.getByRole('group', { name: 'Severity' }).getByRole('button', { name: 'critical' }).click();
    await page.getByLabel('Search issues').fill('index');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/q=index/);
    await page.getByRole('link', { name: 'Payments gateway timeouts' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Search index lag' }).waitFor();
    await page.getByRole('button', { name: 'Filter by tag search' }).click();
    await page.waitForURL(/tag=search/);
    await page.getByRole('group', { name: 'Tag' }).waitFor();
    await expectAccessible('issues list');
  });

  it('creates an issue, uploads a log with live progress, writes 5 whys, generates an RCA, edits it and publishes it to Confluence', async () => {
    const { page } = browser;
    await signIn(api.adminKey);
    await page.getByRole('button', { name: 'New issue' }).click();
    const form = page.getByRole('form', { name: 'New issue' });
    await form.getByLabel('Title').fill('Checkout 502s after the cache rollout');
    await form.getByLabel('Description').fill('p99 went from 80 ms to 4 s.');
    await form.getByLabel('Severity').selectOption('high');
    await form.getByRole('button', { name: 'Create issue' }).click();
    await page.waitForURL(/\/ui\/issues\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: 'Checkout 502s after the cache rollout' }).waitFor();

    await page.getByLabel('Upload a log file').setInputFiles({ name: 'checkout.log', mimeType: 'text/plain', buffer: Buffer.from(LOG) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const row = page.getByTestId('log-file-checkout.log');
    await row.waitFor();
    await row.locator('.status[data-status="ready"]').waitFor({ timeout: 45_000 });
    expect(await row.getByRole('link', { name: 'checkout.log' }).getAttribute('href')).toMatch(/^\/ui\/log-files\/[0-9a-f-]+$/);

    await page.getByLabel(/^Why #1$/).fill('Why did checkout return 502?');
    await page.getByLabel('Answer', { exact: true }).fill('The upstream timed out.');
    await page.getByRole('button', { name: 'Add why' }).click();
    await page.getByText('Why did checkout return 502?').waitFor();
    await page.getByLabel(/^Why #2$/).fill('Why did the upstream time out?');
    await page.getByRole('button', { name: 'Add why' }).click();
    await page.getByText('Why did the upstream time out?').waitFor();
    await page.getByRole('button', { name: 'Move why 2 up' }).click();
    await waitFor(
      async () => (await page.locator('.whys li').first().textContent())?.includes('upstream time out') === true,
      10_000,
      () => 'reorder did not show',
    );
    await expectAccessible('issue detail');
    await screenshot(page, 'issue-detail');

    await page.getByRole('button', { name: 'Generate RCA' }).click();
    await page.waitForURL(/\/ui\/documents\/[0-9a-f-]+$/);
    const editor = page.getByLabel('Markdown');
    await waitFor(
      async () => (await editor.inputValue()).includes('## 5 Whys Analysis'),
      10_000,
      () => 'the RCA did not load into the editor',
    );
    expect(await editor.inputValue()).toContain('Why did the upstream time out?');
    await editor.fill('# RCA\n\nThe **cache** evicted hot keys.\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1))');
    const preview = page.locator('article.preview');
    await preview.locator('strong', { hasText: 'cache' }).waitFor();
    expect(await preview.locator('script').count()).toBe(0);
    expect(await preview.locator('a[href^="javascript"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    await expectAccessible('document editor');

    await page.getByRole('button', { name: 'Publish to Confluence' }).click();
    const publication = page.getByTestId('publication-confluence');
    await publication.locator('.status[data-status="published"]').waitFor({ timeout: 45_000 });
    const href = await publication.getByRole('link').getAttribute('href');
    expect(href).toMatch(new RegExp(`^${confluence.baseUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(confluence.objects).toHaveLength(1);
    expect(confluence.violations).toEqual([]);
    await screenshot(page, 'document-published');

    await page.getByRole('link', { name: 'Issue', exact: true }).click();
    await page.getByTestId('publication-confluence').waitFor();
    await expectAccessible('issue detail with publication');
  });

  it('manages API keys (secret shown once), shows integrations without secrets, and verifies the audit chain', async () => {
    const { page } = browser;
    await signIn(api.adminKey);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Name').fill('browser-made');
    await page.getByRole('group', { name: 'Scopes' }).getByLabel('write').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-key').textContent()) as string;
    expect(secret).toMatch(/^tftsr_/);
    expect((await api.call('GET', '/v1/auth/whoami', { key: secret })).body).toEqual({ name: 'browser-made', scopes: ['read', 'write'] });
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.content()).not.toContain(secret);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke browser-made' }).click();
    await page.getByText(/revoked \d{4}-/).waitFor();
    expect((await api.call('GET', '/v1/auth/whoami', { key: secret })).status).toBe(401);

    const integrations = page.getByRole('region', { name: 'Integrations' });
    await integrations.getByText(confluence.baseUrl).waitFor();
    await integrations.getByRole('button', { name: 'Test confluence' }).click();
    expect(await integrations.getByRole('status').textContent()).toMatch(/^ OK: /);
    expect(await page.content()).not.toContain(CONFLUENCE_TOKEN);

    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    expect(await page.getByTestId('audit-verify').textContent()).toMatch(/^Intact: \d+ entries/);
    await expectAccessible('admin');
    await screenshot(page, 'admin');
  });

  it('scrolls a 1 GiB, ten-million-line file by fetching only the windows in view', async () => {
    // The browser answers the review endpoints for a file too big to upload in a test: what is checked here is
    // the viewer (which windows it asks for, what it renders), not the API.
    const { page } = browser;
    const id = '0190b6c4-1a2b-7c3d-8e4f-0123456789ab';
    const total = 10_000_000;
    const lineBytes = 108;
    const requested: number[] = [];
    const json = (body: unknown) => ({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    await page.route(`**/v1/log-files/${id}`, (route) =>
      route.fulfill(
        json({
          id,
          issue_id: id,
          file_name: 'huge.log',
          file_size: total * lineBytes,
          mime_type: 'text/plain',
          content_hash: null,
          uploaded_at: '2026-12-01 00:00:00',
          redacted: false,
          status: 'ready',
          progress: 100,
          failure_reason: null,
          pii_counts: {},
          redaction: { version: null, finalized_at: null, pending: false },
        }),
      ),
    );
    await page.route(`**/v1/log-files/${id}/pii/totals`, (route) => route.fulfill(json({ totals: [], spans: 0, values: 0 })));
    await page.route(`**/v1/log-files/${id}/lines?**`, (route) => {
      const url = new URL(route.request().url());
      const from = Number(url.searchParams.get('from'));
      const count = Math.min(Number(url.searchParams.get('count')), total - from + 1);
      requested.push(from);
      const lines = Array.from({ length: count }, (_, i) => {
        const number = from + i;
        return {
          number,
          byte_start: (number - 1) * lineBytes,
          byte_end: number * lineBytes - 1,
          text: `line ${number} of the huge file`,
          spans: [],
        };
      });
      return route.fulfill(json({ from, count, total_lines: total, lines }));
    });
    try {
      await page.goto(`${api.base}/ui/log-files/${id}`);
      await signIn(api.adminKey);
      const viewer = page.getByRole('region', { name: /^Log lines/ });
      await viewer.getByText('line 1 of the huge file', { exact: true }).waitFor();
      const spacer = Number(
        await viewer.locator('.viewer-spacer').evaluate((el) => (el as unknown as { offsetHeight: number }).offsetHeight),
      );
      expect(spacer).toBeLessThanOrEqual(8_000_000);

      await page.getByLabel('Line', { exact: true }).fill('9000000');
      await page.getByLabel('Line', { exact: true }).press('Enter');
      await viewer.locator('.log-row[data-line="9000000"]').getByText('line 9000000 of the huge file').waitFor();

      await page.getByLabel('Byte', { exact: true }).fill(String(5_000_000 * lineBytes + 10));
      await page.getByLabel('Byte', { exact: true }).press('Enter');
      await viewer.locator('.log-row[data-line="5000001"]').getByText('line 5000001 of the huge file').waitFor();

      await viewer.evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 7_000_000));
      await viewer
        .locator('.log-row')
        .last()
        .getByText(/^line \d+ of the huge file$/)
        .waitFor();
      expect(await viewer.locator('.log-row').count()).toBeLessThan(60);
      expect(requested.length).toBeLessThan(30);
      expect(requested.every((from) => (from - 1) % 200 === 0)).toBe(true);
      await expectAccessible('log review of a huge file');
    } finally {
      await page.unrouteAll();
    }
  });

  it('is readable at 390 px wide, and deep links load the app', async () => {
    const issue = await api.createIssue({ title: 'Phone-sized reading of a long incident title that wraps' });
    const phone = await launchBrowser({ width: 390, height: 844 });
    try {
      await phone.page.goto(`${api.base}/ui/issues/${issue.id}`);
      await phone.page.getByLabel('API key').fill(readKey);
      await phone.page.getByRole('button', { name: 'Sign in' }).click();
      await phone.page.getByRole('heading', { name: 'Phone-sized reading of a long incident title that wraps' }).waitFor();
      const widths = JSON.parse(
        await phone.page.evaluate<string>('JSON.stringify([document.documentElement.scrollWidth, innerWidth])'),
      ) as number[];
      expect(widths[0]).toBeLessThanOrEqual(widths[1]);
      expect([await axeViolations(phone.page)]).toEqual([[]]);
      expect(phone.problems).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});

import { readFileSync } from 'node:fs';
import type { RunningApp } from '../support/app-processes';
import { waitFor } from '../support/app-processes';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import type { TestBrowser } from '../support/browser';
import { axeViolations, launchBrowser, screenshot } from '../support/browser';
import { FakeConfluence } from '../support/fakes/fake-confluence';

/**
 * The reviewer's whole flow in Debian's Chromium: sign in, create an issue, upload a log with planted secrets,
 * watch it being processed, review it (keep one value, add a manual span by selecting text, keyboard), apply,
 * download and check the planted values are gone, finalize, then write an RCA and publish it to a fake Confluence.
 * Needs the review endpoints of the redaction issue (GET pii/values, pii/totals, lines; POST decisions,
 * manual-spans, finalize).
 */
const CONFLUENCE_TOKEN = 'canary-review-cf-token-77d1';
const EMAIL = 'jane.doe@example.org';
const AWS_KEY = 'AKIAQWERTYUIOPASDFGH';
const CARD = '4111 1111 1111 1111';
const KEPT_IP = '10.20.30.40';
const MANUAL = 'HUNTER2-ZEBRA-42';
const FAR_EMAIL = 'ops-2500@example.com';
const PLANTED = [EMAIL, AWS_KEY, CARD, MANUAL, FAR_EMAIL];

function plantedLog(): string {
  const lines = [
    `2026-11-27 10:00:01 INFO  [http-nio-8080-exec-3] c.e.Checkout - user ${EMAIL} paid with ${CARD}`,
    `2026-11-27 10:00:02 WARN  [worker-2] c.e.Sync - using aws_access_key_id=${AWS_KEY} from ${KEPT_IP}`,
    `2026-11-27 10:00:03 ERROR [worker-2] c.e.Sync - internal ticket token ${MANUAL} rejected`,
  ];
  for (let n = 4; n <= 3000; n += 1) {
    lines.push(
      n === 2500
        ? `2026-11-27 10:41:40 INFO  [cron] c.e.Report - mailed ${FAR_EMAIL}`
        : `2026-11-27 10:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} DEBUG [pool-1] c.e.Cache - hit ratio 0.${n % 97} after ${n} lookups`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// A browser flow spans uploads, worker jobs and publishing on a shared two-core machine: minutes, not the default minute.
jest.setTimeout(180_000);
describe('reviewing a log in the web app', () => {
  let api: TestApi;
  let worker: RunningApp;
  let confluence: FakeConfluence;
  let browser: TestBrowser;
  let reviewerKey: string;
  let writerKey: string;

  beforeAll(async () => {
    confluence = await FakeConfluence.start({ auth: { email: 'ops@example.com', token: CONFLUENCE_TOKEN } });
    const shared = { TFTSR_TEST_INTEGRATION_ORIGINS: confluence.origin };
    api = await startTestApi('browser-review', { ...shared, TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    worker = api.startWorker(shared);
    reviewerKey = api.createKey('reviewer', ['admin', 'pii:reveal']);
    writerKey = api.createKey('writer', ['write']);
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

  afterEach(() => {
    expect(browser.problems).toEqual([]);
  });

  async function signIn(page: TestBrowser['page'], key: string, path = '/ui/'): Promise<void> {
    await page.goto(`${api.base}${path}`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('whoami').waitFor();
  }

  async function expectAccessible(name: string, page = browser.page): Promise<void> {
    expect([name, await axeViolations(page)]).toEqual([name, []]);
  }

  it('takes a log from upload through review, redaction and finalization to a published RCA', async () => {
    const { page } = browser;
    await signIn(page, reviewerKey);

    await page.getByRole('button', { name: 'New issue' }).click();
    const form = page.getByRole('form', { name: 'New issue' });
    await form.getByLabel('Title').fill('Card numbers in checkout logs');
    await form.getByLabel('Severity').selectOption('critical');
    await form.getByRole('button', { name: 'Create issue' }).click();
    await page.waitForURL(/\/ui\/issues\/[0-9a-f-]+$/);

    await page
      .getByLabel('Upload a log file')
      .setInputFiles({ name: 'checkout.log', mimeType: 'text/plain', buffer: Buffer.from(plantedLog()) });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const row = page.getByTestId('log-file-checkout.log');
    await row.locator('.status[data-status="ready"]').waitFor({ timeout: 60_000 });
    await row.getByRole('link', { name: 'checkout.log' }).click();
    await page.waitForURL(/\/ui\/log-files\/[0-9a-f-]+$/);
    const fileId = /log-files\/([0-9a-f-]+)/.exec(page.url())?.[1] as string;

    // The viewer: masked text, spans overlaid, nothing planted in clear.
    const viewer = page.getByRole('region', { name: /^Log lines/ });
    await viewer.locator('.log-row[data-line="1"] mark.span').first().waitFor();
    expect(await viewer.locator('.log-row[data-line="1"]').textContent()).not.toContain(EMAIL);
    await page.getByTestId('totals').waitFor();
    await expectAccessible('log review');
    await screenshot(page, 'log-review');

    // Jump to a far line without loading the file: only the rows in view exist.
    await page.getByLabel('Line', { exact: true }).fill('2500');
    await page.getByLabel('Line', { exact: true }).press('Enter');
    await viewer.locator('.log-row[data-line="2500"] mark.span').waitFor();
    expect(await viewer.locator('.log-row').count()).toBeLessThan(100);
    await page.getByLabel('Line', { exact: true }).fill('1');
    await page.getByLabel('Line', { exact: true }).press('Enter');
    await viewer.locator('.log-row[data-line="1"] mark.span').first().waitFor();

    // Keyboard: next and previous span, redact.
    await viewer.focus();
    await page.keyboard.press('n');
    await page.getByRole('region', { name: 'Selected span' }).getByText('on line 1').waitFor();
    await page.keyboard.press('n');
    await page.keyboard.press('p');
    await page.keyboard.press('r');
    await waitFor(
      async () => (await page.getByTestId('selected-decision').textContent()) === 'redact',
      10_000,
      () => 'the r key did not decide',
    );

    // Keep the IP address (needs pii:reveal), one value among those grouped by type.
    const ipGroup = page.locator('[data-testid^="type-ipv4"]');
    await ipGroup.getByRole('button', { expanded: false }).click();
    const ipValue = ipGroup.getByTestId('pii-value').first();
    await ipValue.getByRole('button', { name: /^Keep / }).click();
    await ipValue.locator('.decision[data-decision="keep"]').waitFor();
    await page
      .getByTestId('apply-summary')
      .getByText(/ and 1 kept in clear\.$/)
      .waitFor();

    // A manual span: select text the detectors missed. The row may be re-rendered while the decisions above settle,
    // and the text may come in several nodes (marks around it), so the selection is retried until it can be made,
    // from offsets in the row's whole text. Each try is its own evaluation from here: page.waitForFunction would
    // retry with an in-page eval on a later frame, which the app's CSP (no 'unsafe-eval') refuses.
    const selectManual = `(() => {
        const cell = document.querySelector('.log-row[data-line="3"] .lt');
        const at = cell ? cell.textContent.indexOf(${JSON.stringify(MANUAL)}) : -1;
        if (at < 0) return false;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        let seen = 0;
        let node;
        while ((node = walker.nextNode())) {
          const length = node.textContent.length;
          if (seen <= at && at < seen + length) range.setStart(node, at - seen);
          if (seen < at + ${MANUAL.length} && at + ${MANUAL.length} <= seen + length) {
            range.setEnd(node, at + ${MANUAL.length} - seen);
            break;
          }
          seen += length;
        }
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        cell.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
        return true;
      })()`;
    await waitFor(
      async () => (await page.evaluate(selectManual)) === true,
      10_000,
      () => `the manual text never showed on line 3`,
    );
    await page.getByRole('button', { name: 'Add as manual span (every occurrence)' }).click();
    await viewer.locator('.log-row[data-line="3"] mark.manual').waitFor();

    // The preview shows the redacted output beside the original.
    await page.getByLabel('Preview redacted output').check();
    await viewer.locator('.log-row[data-line="1"] .lt.after').waitFor();
    expect(await viewer.locator('.log-row[data-line="2"] .lt.after mark.d-keep').count()).toBe(1);

    // Reveal is audited, and shows the originals only to pii:reveal.
    await page.getByLabel('Show original values (audited)').check();
    await viewer.locator('.log-row[data-line="1"]', { hasText: EMAIL }).waitFor();
    await page.getByLabel('Show original values (audited)').uncheck();
    expect(api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'reveal_pii' AND entity_id = ?`).get(fileId)).toEqual({
      n: expect.any(Number),
    });

    await page.getByRole('button', { name: 'Apply decisions' }).click();
    await page
      .getByTestId('redaction-state')
      .getByText(/^Version \d+ is ready\.$/)
      .waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download redacted' }).click()]);
    const redacted = readFileSync(await download.path(), 'utf8');
    for (const value of PLANTED) expect([value, redacted.includes(value)]).toEqual([value, false]);
    expect(redacted).toContain(KEPT_IP);
    expect(redacted.split('\n')).toHaveLength(plantedLog().split('\n').length);

    await page.getByRole('button', { name: 'Finalize…' }).click();
    const dialog = page.getByRole('dialog', { name: /^Finalize/ });
    await expectAccessible('finalize dialog');
    await dialog.getByLabel('I understand this cannot be undone').check();
    await dialog.getByRole('button', { name: 'Finalize', exact: true }).click();
    await page.getByText(/^finalized /).waitFor({ timeout: 60_000 });
    expect(await page.getByRole('button', { name: 'Apply decisions' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Issue', exact: true }).click();
    await page.getByRole('button', { name: 'Generate RCA' }).click();
    await page.waitForURL(/\/ui\/documents\/[0-9a-f-]+$/);
    await page.getByRole('button', { name: 'Publish to Confluence' }).click();
    const publication = page.getByTestId('publication-confluence');
    await publication.locator('.status[data-status="published"]').waitFor({ timeout: 60_000 });
    expect(await publication.getByRole('link').getAttribute('href')).toContain(confluence.baseUrl);
    expect(confluence.violations).toEqual([]);
  });

  it('never shows an original value to a key without pii:reveal, and offers it no keep', async () => {
    const issue = await api.createIssue({ title: 'Writer without reveal' });
    const form = new FormData();
    form.append('file', new Blob([plantedLog()]), 'app.log');
    const uploaded = await api.call('POST', `/v1/issues/${issue.id}/log-files`, { rawBody: form });
    await waitFor(
      async () => (await api.call('GET', `/v1/log-files/${uploaded.body.id}`)).body.status === 'ready',
      60_000,
      () => worker.output(),
    );

    const second = await launchBrowser();
    try {
      const { page } = second;
      await signIn(page, writerKey, `/ui/log-files/${uploaded.body.id}`);
      const viewer = page.getByRole('region', { name: /^Log lines/ });
      await viewer.locator('.log-row[data-line="1"] mark.span').first().waitFor();
      const closed = page.locator('[data-testid^="type-"] > button[aria-expanded="false"]');
      while ((await closed.count()) > 0) await closed.first().click();
      await page.getByTestId('pii-value').first().waitFor();
      expect(await page.getByLabel('Show original values (audited)').count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Keep/ }).count()).toBe(0);
      await page.getByLabel('Preview redacted output').check();
      await viewer.focus();
      await page.keyboard.press('n');
      await page.getByRole('region', { name: 'Selected span' }).waitFor();
      const html = await page.content();
      // Every detected value in view (line 2500 is far below, and the manual text was never detected in this file).
      for (const value of [EMAIL, AWS_KEY, CARD, KEPT_IP]) expect([value, html.includes(value)]).toEqual([value, false]);
      await expectAccessible('log review without reveal', page);
      expect(second.problems).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

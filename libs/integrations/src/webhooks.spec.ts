import { randomBytes } from 'node:crypto';
import { checkWebhookUrl, openWebhookSecret, sealWebhookSecret, signWebhook, slackBody, verifyWebhookSignature } from './webhooks';

describe('webhook signatures (t=..., v1=HMAC-SHA256)', () => {
  const secret = 'whsec_test';
  const body = '{"id":"e1","type":"publication.done"}';

  it('verifies a fresh signature', () => {
    const header = signWebhook(secret, body, 1_000_000);
    expect(header).toMatch(/^t=1000000,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, header, body, 1_000_010)).toEqual({ ok: true, timestamp: 1_000_000 });
  });

  it.each([
    ['another body', (h: string) => [h, `${body} `, 1_000_010] as const, /mismatch/, secret],
    ['another secret', (h: string) => [h, body, 1_000_010] as const, /mismatch/, 'other'],
    ['an old timestamp (a replay)', (h: string) => [h, body, 1_000_000 + 301] as const, /tolerance/, secret],
    [
      'a timestamp changed by the attacker',
      (h: string) => [h.replace('t=1000000', 't=1000300'), body, 1_000_300] as const,
      /mismatch/,
      secret,
    ],
    ['no header', () => [undefined, body, 1_000_000] as const, /no signature/, secret],
  ])('refuses %s', (_name, make, reason, key) => {
    const [header, text, now] = make(signWebhook(secret, body, 1_000_000));
    const result = verifyWebhookSignature(key, header, text, now);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe('webhook endpoint URLs (the integrations’ SSRF guard)', () => {
  const policy = { extraHosts: [], testOrigins: [] };
  it.each([
    'http://hooks.example.com/x',
    'https://10.0.0.1/x',
    'https://[::1]/x',
    'https://hooks.example.com:8443/x',
    'https://u:p@hooks.example.com/x',
    'https://2130706433/x',
  ])('refuses %s', (url) => {
    expect(checkWebhookUrl(url, 'json', policy).ok).toBe(false);
  });
  it('accepts a public https host for json, and only hooks.slack.com for slack', () => {
    expect(checkWebhookUrl('https://hooks.example.com/tftsr?team=ops', 'json', policy).ok).toBe(true);
    expect(checkWebhookUrl('https://hooks.example.com/services/x', 'slack', policy).ok).toBe(false);
    expect(checkWebhookUrl('https://hooks.slack.com/services/T0/B0/xyz', 'slack', policy).ok).toBe(true);
  });
});

describe('webhook secrets at rest', () => {
  it('open only for the endpoint they were sealed for', () => {
    const key = randomBytes(32);
    const sealed = sealWebhookSecret('https://hooks.slack.com/services/T0/B0/xyz', 'ep1', key);
    expect(sealed).not.toContain('hooks.slack.com');
    expect(openWebhookSecret(sealed, 'ep1', key)).toBe('https://hooks.slack.com/services/T0/B0/xyz');
    expect(openWebhookSecret(sealed, 'ep2', key)).toBeNull();
  });
});

describe('slackBody', () => {
  it('is a text message with the ids, escaped', () => {
    expect(
      slackBody({
        id: 'e1',
        type: 'issue.critical_created',
        created_at: 'x',
        data: { issue_id: 'i1', issue_title: 'a <b> & c', document_id: null },
      }),
    ).toEqual({
      text: '*Critical issue created* (issue.critical_created)\nissue_id: i1 · issue_title: a &lt;b&gt; &amp; c',
    });
  });
});

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TargetPolicy } from './target-policy';
import type { UrlCheck } from './url-policy';
import { checkPublicHttpsUrl, hostMatches } from './url-policy';

/** The events an endpoint can subscribe to. */
export const WEBHOOK_EVENTS = ['file.ready', 'file.failed', 'publication.done', 'publication.failed', 'issue.critical_created'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** `json`: our signed body (any public https host). `slack`: a Slack incoming webhook (its URL is the secret). */
export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const SIGNATURE_HEADER = 'tftsr-signature';
/** Receivers should refuse a signature older than this (replay window), and dedupe on the event id. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;
const SLACK_HOSTS = ['hooks.slack.com'];

/**
 * `TFTSR-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, as Stripe signs: the
 * timestamp is inside the MAC, so an old delivery replayed later fails the receiver's tolerance check.
 */
export function signWebhook(secret: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${nowSeconds},v1=${createHmac('sha256', secret).update(`${nowSeconds}.${body}`, 'utf8').digest('hex')}`;
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/** What a receiver does: parse, check the age, compare every v1 in constant time. */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => v ?? '');
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance (a replay?)' };
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1], 'hex');
  const match = signatures.some((s) => {
    const got = Buffer.from(s, 'hex');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'signature mismatch' };
}

/** A new endpoint's signing secret: 32 random bytes, shown once. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * An endpoint URL under the integrations' SSRF guard: https, default port, no credentials, a host name (its
 * addresses are checked again at connect time); Slack endpoints only on hooks.slack.com. Test origins pass
 * under NODE_ENV=test only, as for integrations.
 */
export function checkWebhookUrl(raw: string, format: WebhookFormat, policy: TargetPolicy): UrlCheck {
  if (policy.testOrigins.length > 0) {
    try {
      const url = new URL(raw);
      if (policy.testOrigins.includes(url.origin) && !url.username && !url.password && !url.hash) return { ok: true, url };
    } catch {
      // Not a URL: the check below says so.
    }
  }
  const shape = checkPublicHttpsUrl(raw, format === 'json');
  if (!shape.ok) return shape;
  if (format === 'slack' && !SLACK_HOSTS.some((h) => hostMatches(shape.url.hostname, h)))
    return { ok: false, reason: 'a Slack endpoint must be a https://hooks.slack.com/ incoming-webhook URL' };
  return shape;
}

/** What an endpoint shows of its URL: a Slack URL is itself the secret, so only its host. */
export function displayUrl(url: string, format: WebhookFormat): string {
  return format === 'slack' ? `${new URL(url).origin}/…` : url;
}

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * An endpoint's secret (the HMAC key, or a Slack URL), sealed like integration credentials: AES-256-GCM,
 * base64(nonce || ciphertext || tag), the endpoint id as associated data. Null when it does not open.
 */
export function sealWebhookSecret(secret: string, endpointId: string, key: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(`tftsr/webhook/v1/${endpointId}`, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

export function openWebhookSecret(stored: string, endpointId: string, key: Buffer): string | null {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length < NONCE_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(`tftsr/webhook/v1/${endpointId}`, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/** The body of one delivery: ids and a redacted title, never content. */
export interface WebhookPayload {
  id: string;
  type: WebhookEvent;
  created_at: string;
  data: Record<string, string | null>;
}

const SUMMARY: Record<WebhookEvent, string> = {
  'file.ready': 'Log file ready for review',
  'file.failed': 'Log file processing failed',
  'publication.done': 'Publication done',
  'publication.failed': 'Publication failed',
  'issue.critical_created': 'Critical issue created',
};

/** Slack's incoming-webhook body: a line of text (mrkdwn escaped), the same ids and redacted title. */
export function slackBody(payload: WebhookPayload): { text: string } {
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const fields = Object.entries(payload.data)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${escape(String(v))}`)
    .join(' · ');
  return { text: `*${SUMMARY[payload.type]}* (${payload.type})\n${fields}` };
}

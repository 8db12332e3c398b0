import ipaddr from 'ipaddr.js';
import { hostMatches } from '@tftsr/integrations';

/** Hosted OpenAI-compatible APIs a completion may go to without a key; the deploy-time origin is added to them. */
export const AI_PROVIDER_HOSTS: readonly string[] = [
  'api.openai.com',
  '*.openai.azure.com',
  'api.mistral.ai',
  'api.groq.com',
  'openrouter.ai',
];

const LOOPBACK_HTTP_ORIGIN = /^http:\/\/(127\.0\.0\.1|\[::1\]):\d{1,5}$/;

/** Where a completion may go, and whether TFTSR_AI_API_KEY may go with it. */
export interface ProviderTarget {
  url: URL;
  /** The URL is on TFTSR_AI_PROVIDER_ORIGIN: the key is sent, and the operator's own address is trusted. */
  pinned: boolean;
}

/**
 * The check of `ai.provider_url` when a completion is sent: on the deploy-time origin (TFTSR_AI_PROVIDER_ORIGIN),
 * the only place the key ever goes; elsewhere https on the default port, a host name (never an IP literal, in
 * any spelling) on the allow-list, without the key, and its address is checked again when connecting (public
 * unicast only). Null when refused; why is not said, so the answer is no port scanner.
 */
export function checkProviderUrl(raw: string, pinnedOrigin: string | undefined): ProviderTarget | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash) return null;
  if (pinnedOrigin !== undefined && url.origin === pinnedOrigin) return { url, pinned: true };
  if (url.protocol !== 'https:' || url.port !== '') return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return null;
  const allowed = [...AI_PROVIDER_HOSTS, ...(pinnedOrigin ? [new URL(pinnedOrigin).hostname] : [])];
  return allowed.some((pattern) => hostMatches(host, pattern)) ? { url, pinned: false } : null;
}

/** The configuration's check of TFTSR_AI_PROVIDER_ORIGIN: an https origin, or a loopback one in tests. */
export function providerOriginProblems(origin: string | undefined, key: string | undefined, nodeEnv: string): string[] {
  if (origin === undefined)
    return key ? ['TFTSR_AI_API_KEY: set TFTSR_AI_PROVIDER_ORIGIN too, the one origin (https://host) the key may be sent to'] : [];
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    // reported below
  }
  if (!url || url.origin !== origin)
    return [`TFTSR_AI_PROVIDER_ORIGIN: ${origin} is not an origin like https://api.example.com (no path, no trailing slash)`];
  if (url.protocol === 'https:') return [];
  if (nodeEnv === 'test' && LOOPBACK_HTTP_ORIGIN.test(origin)) return [];
  return [`TFTSR_AI_PROVIDER_ORIGIN: ${origin} must be https (a loopback http origin only under NODE_ENV=test)`];
}

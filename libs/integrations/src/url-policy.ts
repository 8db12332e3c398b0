import ipaddr from 'ipaddr.js';

import type { IntegrationService } from './targets/registry';
import { TARGET_NAMES, targetOf } from './targets/registry';

export type { IntegrationService } from './targets/registry';

/** Where each service's cloud lives (its target's hosts); an admin may add on-premise hosts on top (never wildcards of their own). */
export const DEFAULT_HOSTS = Object.fromEntries(TARGET_NAMES.map((name) => [name, targetOf(name).hosts])) as {
  readonly [S in IntegrationService]: readonly string[];
};

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** `*.example.com` matches any subdomain of example.com, not example.com itself; other patterns match exactly. */
export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
}

/**
 * Save-time and send-time check of an integration base URL: https only, the default port, no credentials,
 * a host on the service's allow-list. IP literals in any spelling (decimal, hex, IPv4-mapped) are never
 * on it. The address a name resolves to is checked again when connecting (see guarded-lookup.ts).
 */
export function checkBaseUrl(raw: string, service: IntegrationService, extraHosts: readonly string[] = []): UrlCheck {
  const shape = checkPublicHttpsUrl(raw);
  if (!shape.ok) return shape;
  const host = shape.url.hostname.replace(/^\[|\]$/g, '');
  const allowed = [...DEFAULT_HOSTS[service], ...extraHosts];
  if (!allowed.some((pattern) => hostMatches(host, pattern))) {
    return {
      ok: false,
      reason: `${host} is not an allowed ${service} host (allowed: ${allowed.join(', ')}); an admin can add on-premise hosts`,
    };
  }
  return shape;
}

/**
 * Everything checkBaseUrl checks but the host allow-list: https, the default port, no credentials, no query or
 * fragment, a host name and not an IP literal. Webhook endpoints use it as is (any public host).
 */
export function checkPublicHttpsUrl(raw: string, allowQuery = false): UrlCheck {
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return { ok: false, reason: 'the URL contains whitespace or control characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'only https URLs are allowed' };
  if (url.username || url.password)
    return { ok: false, reason: 'the URL must not carry credentials; store them as the integration credential' };
  if (url.port !== '') return { ok: false, reason: 'only the default https port is allowed' };
  if ((url.search && !allowQuery) || url.hash) return { ok: false, reason: 'the URL must not have a query or a fragment' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return { ok: false, reason: `an IP address (${host}) is not an allowed host; use the service's host name` };
  return { ok: true, url };
}

import type { IntegrationService, UrlCheck } from './url-policy';
import { checkBaseUrl } from './url-policy';

/** What a base URL is checked against, at save time in the API and again at send time in the worker. */
export interface TargetPolicy {
  /** On-premise hosts an admin added (setting `integrations.allowed_hosts`). */
  extraHosts: readonly string[];
  /**
   * Loopback origins of the test suite's fake services (TFTSR_TEST_INTEGRATION_ORIGINS). The configuration
   * refuses to start with it unless NODE_ENV=test, so production cannot turn it on by accident.
   */
  testOrigins: readonly string[];
}

const LOOPBACK_ORIGIN = /^http:\/\/(127\.0\.0\.1|\[::1\]):\d{1,5}$/;

/** Parses TFTSR_TEST_INTEGRATION_ORIGINS; returns the problems instead of throwing, for the config check. */
export function parseTestOrigins(raw: string | undefined): { origins: string[]; problems: string[] } {
  if (!raw) return { origins: [], problems: [] };
  const origins = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = origins.filter((o) => !LOOPBACK_ORIGIN.test(o));
  return { origins, problems: bad.map((o) => `TFTSR_TEST_INTEGRATION_ORIGINS: ${o} is not a loopback origin like http://127.0.0.1:8080`) };
}

/** checkBaseUrl, except that an exact test origin (and only that origin) passes. */
export function checkTargetUrl(raw: string, service: IntegrationService, policy: TargetPolicy): UrlCheck {
  if (policy.testOrigins.length > 0) {
    try {
      const url = new URL(raw);
      if (policy.testOrigins.includes(url.origin) && !url.username && !url.password && !url.search && !url.hash) return { ok: true, url };
    } catch {
      // Not a URL: checkBaseUrl says so.
    }
  }
  return checkBaseUrl(raw, service, policy.extraHosts);
}

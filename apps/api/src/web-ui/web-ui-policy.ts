import { join } from 'node:path';
import { findServicePackage } from '@tftsr/config/service-root';

export const WEB_UI_PATH = '/ui';

/**
 * The reviewers' app's policy: every byte comes from this origin, no inline script or style, no plugins, and no
 * framing (click-jacking a "finalize" button). connect-src 'self' is all the app needs: it only calls this API.
 */
export const WEB_UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': WEB_UI_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** dist/web of the service's root package, so it works from dist/ (npm start) and from sources (ts-jest). */
export function webUiRoot(from: string = __dirname): string {
  return join(findServicePackage(from)?.dir ?? from, 'dist', 'web');
}

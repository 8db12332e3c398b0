import { DomainError, ErrorCode } from '../common/domain-error';
import { admitKey, BEARER } from '../auth/admit-key';
import type { ApiKeyService } from '../auth/api-key.service';
import type { RateLimiter } from '../auth/rate-limiter.service';
import type { Principal } from '../auth/scopes.decorator';
import { grants } from '../auth/scopes.decorator';

export const DASHBOARD_PATH = '/admin/queues';

const BASIC = /^Basic ([A-Za-z0-9+/=]{1,1400})$/;
const KEY = /^[\x21-\x7e]{1,512}$/;

/**
 * Board actions that would put data of an admin's choosing into Redis, where only ids may go. Jobs come from the
 * outbox; retrying, promoting and cleaning them stays allowed.
 */
const DISABLED_ACTIONS = new Set([
  `POST ${DASHBOARD_PATH}/api/queues/:queueName/add`,
  `PATCH ${DASHBOARD_PATH}/api/queues/:queueName/:jobId/update-data`,
]);

/** Fetch metadata a browser sends: anything but these on a write is another site riding the cached credentials. */
const SAME_SITE = new Set(['same-origin', 'none']);

export interface GateRequest {
  method: string;
  /** The route pattern, e.g. `/admin/queues/api/queues/:queueName/:jobId/retry`. */
  route: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The API key a request presents: `Authorization: Bearer <key>` from a script, or HTTP Basic with the key as the
 * password (any user name) from a browser, which cannot send a Bearer header but resends Basic credentials with
 * every page, asset and API call of the board once the admin typed them.
 */
export function presentedKey(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const bearer = BEARER.exec(authorization);
  if (bearer) return bearer[1];
  const basic = BASIC.exec(authorization);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return decoded.includes(':') && KEY.test(password) ? password : null;
}

/**
 * The board's raw Fastify routes never reach Nest's AuthGuard, so this applies the same rules to each of them
 * (page, static assets, JSON API): 401 without a valid key, 429 past its rate, 403 without `admin`; and 403 for
 * the disabled actions and for cross-site writes.
 */
export class DashboardGate {
  constructor(
    private readonly keys: Pick<ApiKeyService, 'authenticate'>,
    private readonly limiter: Pick<RateLimiter, 'take'>,
  ) {}

  admit(request: GateRequest): Principal {
    const authorization = request.headers.authorization;
    const key = presentedKey(typeof authorization === 'string' ? authorization : undefined);
    if (key === null)
      throw unauthenticated('sign in with an admin API key: HTTP Basic with the key as password, or `Authorization: Bearer <key>`');
    const principal = admitKey(this.keys, this.limiter, key, unauthenticated);
    if (!grants(principal.scopes, 'admin')) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'the queue dashboard needs an API key with the admin scope', {
        missing_scopes: ['admin'],
      });
    }
    if (DISABLED_ACTIONS.has(`${request.method} ${request.route}`)) {
      throw new DomainError(
        ErrorCode.QUEUE_ACTION_NOT_ALLOWED,
        'the dashboard cannot add jobs or change their data: jobs carry ids only and come from the outbox',
      );
    }
    const site = request.headers['sec-fetch-site'];
    if (!['GET', 'HEAD'].includes(request.method) && typeof site === 'string' && !SAME_SITE.has(site)) {
      throw new DomainError(ErrorCode.FORBIDDEN, 'cross-site requests may not change the queues', { sec_fetch_site: site });
    }
    return principal;
  }
}

/** The Basic challenge makes a browser ask for the key; scripts keep sending Bearer. */
function unauthenticated(message: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, message, undefined, {
    'WWW-Authenticate': 'Basic realm="TFTSR queue dashboard", charset="UTF-8"',
  });
}

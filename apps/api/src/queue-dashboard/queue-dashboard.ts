import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AddressLimits } from '../auth/address-limits';
import { ApiKeyService } from '../auth/api-key.service';
import { RateLimiter } from '../auth/rate-limiter.service';
import type { AuthenticatedRequest } from '../auth/scopes.decorator';
import { DomainError } from '../common/domain-error';
import { replyWithError } from '../common/error-reply';
import { MonitoredQueues } from '../metrics/monitored-queues';
import { DASHBOARD_PATH, DashboardGate } from './dashboard-gate';

/**
 * Bull Board at /admin/queues, showing every queue of libs/jobs QUEUE_NAMES; failed jobs can be read and retried
 * there. Its routes are raw Fastify routes in their own encapsulated plugin, hidden from the OpenAPI document, and
 * every one of them (page, static assets, JSON API) passes DashboardGate first. Its @fastify/static instance lives
 * in that plugin, beside the one Nest's Swagger registers for /docs.
 */
export async function installQueueDashboard(app: NestFastifyApplication, limits: AddressLimits): Promise<void> {
  // AuthModule keeps these to itself; the board shares the API's keys and rate buckets.
  const gate = new DashboardGate(app.get(ApiKeyService, { strict: false }), app.get(RateLimiter, { strict: false }));
  const board = new BullBoardAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: app.get(MonitoredQueues).queues.map((queue) => new BullMQAdapter(queue, { allowRetries: true })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'TFTSR queues' } },
  });
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(
    async (scope: FastifyInstance) => {
      scope.addHook('onRequest', async (request, reply) => admitOrRefuse(gate, limits, request, reply));
      await scope.register(board.registerPlugin() as never);
    },
    { prefix: DASHBOARD_PATH },
  );
}

/** An async hook that answers must return the reply, or Fastify would run the route as well. */
async function admitOrRefuse(
  gate: DashboardGate,
  limits: AddressLimits,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  try {
    (request as AuthenticatedRequest).principal = await limits.admitting(request, () =>
      gate.admit({ method: request.method, route: request.routeOptions.url ?? request.url, headers: request.headers }),
    );
    return undefined;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return replyWithError(request, reply, err);
  }
}

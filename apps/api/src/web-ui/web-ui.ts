import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SECURITY_HEADERS, WEB_UI_PATH, webUiRoot } from './web-ui-policy';

/**
 * The single-page app at /ui/: hashed assets from dist/web (built by `npm run build`), and index.html for every
 * other path below /ui/, so deep links such as /ui/issues/:id load the app. Raw Fastify routes in their own
 * plugin, public (the app asks for a key itself), hidden from the OpenAPI document.
 */
export async function installWebUi(app: NestFastifyApplication, root: string = webUiRoot()): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const indexPath = join(root, 'index.html');
  const built = existsSync(indexPath);
  const index = built ? readFileSync(indexPath) : null;
  await fastify.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', async (request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    if (built) {
      // wildcard: false registers one route per built file, so the catch-all below never shadows an asset.
      await scope.register(fastifyStatic, {
        root: join(root, 'assets'),
        prefix: `${WEB_UI_PATH}/assets/`,
        wildcard: false,
        decorateReply: false,
        index: false,
        // File names carry a content hash: a new build changes the name, never the bytes behind one.
        immutable: true,
        maxAge: '365d',
      });
    }
    const sendIndex = async (_: unknown, reply: FastifyReply) => {
      if (!index) {
        return reply.code(503).type('text/plain; charset=utf-8').send('The web app is not built: run `npm run build`.\n');
      }
      return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
    };
    scope.get(WEB_UI_PATH, async (_, reply) => reply.redirect(`${WEB_UI_PATH}/`, 308));
    scope.get(`${WEB_UI_PATH}/`, sendIndex);
    scope.get(`${WEB_UI_PATH}/*`, async (request, reply) => {
      // A missing asset is a 404, not the app: a stale tab asking for an old chunk must fail visibly.
      if (request.url.startsWith(`${WEB_UI_PATH}/assets/`)) return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
      return sendIndex(request, reply);
    });
  });
}

import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '@tftsr/telemetry';
import { WorkerConfig } from '../config/worker.config';

/**
 * GET /metrics on the worker's own port (TFTSR_WORKER_METRICS_PORT; 0 picks a free one, and the line below says
 * which). No key: bind it to loopback or a private network. A port already taken costs the metrics, not the worker.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerMetrics');
  private server: Server | undefined;
  /** The bound port, once listening. */
  port: number | undefined;

  constructor(
    private readonly registry: MetricsRegistry,
    private readonly config: WorkerConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const host = this.config.TFTSR_WORKER_METRICS_HOST;
    const server = createServer((request, response) => void this.answer(request, response));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.TFTSR_WORKER_METRICS_PORT, host, () => resolve());
      });
    } catch (err) {
      this.logger.warn(
        `metrics are not served: cannot listen on ${host}:${this.config.TFTSR_WORKER_METRICS_PORT} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
      return;
    }
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.logger.log({ msg: `metrics on http://${host.includes(':') ? `[${host}]` : host}:${this.port}/metrics`, metrics_port: this.port });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics is served here\n');
      return;
    }
    try {
      const body = await this.registry.metrics();
      response.writeHead(200, { 'content-type': this.registry.contentType }).end(request.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.logger.warn(`metrics scrape failed: ${(err as Error).message}`);
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
    }
  }
}

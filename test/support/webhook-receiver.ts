import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '@tftsr/integrations';

export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** Parsed JSON body. */
  json: any;
  /** For signed paths: the receiver's verdict on TFTSR-Signature. */
  signature: 'valid' | 'invalid' | 'unsigned';
  /** The status the receiver answered. */
  status: number;
}

/**
 * A webhook consumer as its docs would tell one to be written: verifies TFTSR-Signature with the secret of the
 * path it was registered for (timestamp tolerance included), records every request, and can be told to fail.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly secrets = new Map<string, string>();
  private failures: Array<{ path: string; status: number }> = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      void readAll(req).then((body) => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const headers = req.headers as Record<string, string>;
        const secret = this.secrets.get(path);
        const signature =
          secret === undefined ? 'unsigned' : verifyWebhookSignature(secret, headers[SIGNATURE_HEADER], body).ok ? 'valid' : 'invalid';
        const failure = this.failures.findIndex((f) => f.path === path);
        const status = failure >= 0 ? this.failures.splice(failure, 1)[0].status : signature === 'invalid' ? 400 : 200;
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = null;
        }
        this.received.push({ path, headers, body, json, signature, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Requests to `path` are checked against `secret` (the one the API showed once). */
  expectSignedWith(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  /** The next request to `path` is answered `status`. */
  failNext(path: string, status: number): void {
    this.failures.push({ path, status });
  }

  /** What the consumer acted on: accepted (2xx) requests, one per event id (it dedupes on it). */
  accepted(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path && r.status < 300);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

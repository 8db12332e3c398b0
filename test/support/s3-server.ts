import { readdirSync, readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import S3rver from 's3rver';
import type { S3StoreSettings } from '@tftsr/storage';
import { makeTempDir } from './temp-dir';

export interface TestS3 {
  /** What the API and the worker connect to: through the cutting proxy, so a test can make uploads fail. */
  endpoint: string;
  bucket: string;
  settings(prefix?: string): S3StoreSettings;
  env(prefix?: string): Record<string, string>;
  /** Every file the server keeps (objects, parts of open uploads, their metadata), with its bytes. */
  storedFiles(): { path: string; bytes: Buffer }[];
  /** The server's own file holding an object's bytes, to damage it as a disk would. */
  objectFile(key: string): string;
  /** From now on, a connection is cut once it has carried `bytes` towards the server (0: never). */
  cutAfter(bytes: number): void;
  /** From now on, the byte at this offset of each connection's traffic towards the server is flipped (0: never). */
  flipAt(offset: number): void;
  close(): Promise<void>;
}

/**
 * s3rver (a test-only S3-compatible server on its own directory) behind a TCP proxy that can cut connections
 * mid-request: a store that drops an upload part-way, as a network or a failing node does.
 */
export async function startTestS3(bucket = 'tftsr-test', options: { address?: string } = {}): Promise<TestS3> {
  // Only the proxy faces the clients: on another address (another test host's bridge) when asked.
  const address = options.address ?? '127.0.0.1';
  const temp = makeTempDir('tftsr-s3-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: temp.dir,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  let cut = 0;
  let flip = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    sockets.add(client).add(upstream);
    let sent = 0;
    client.on('data', (data: Buffer) => {
      const at = sent;
      sent += data.length;
      if (cut > 0 && sent > cut) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (flip > 0 && at <= flip && flip < sent) data[flip - at] ^= 1;
      upstream.write(data);
    });
    // eslint-disable-next-line no-restricted-syntax -- both sockets' errors and closes end the pair just below
    upstream.pipe(client);
    const close = () => (client.destroy(), upstream.destroy(), sockets.delete(client), sockets.delete(upstream));
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, address, resolve));
  const endpoint = `http://${address}:${(proxy.address() as { port: number }).port}`;
  const settings = (prefix = ''): S3StoreSettings => ({
    endpoint,
    region: 'us-east-1',
    bucket,
    prefix,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    partSize: 5 * 1024 * 1024,
  });
  return {
    endpoint,
    bucket,
    settings,
    env: (prefix = '') => ({
      TFTSR_BLOB_STORE: 's3',
      TFTSR_S3_ENDPOINT: endpoint,
      TFTSR_S3_BUCKET: bucket,
      TFTSR_S3_PREFIX: prefix,
      TFTSR_S3_FORCE_PATH_STYLE: '1',
      TFTSR_S3_ACCESS_KEY_ID: 'S3RVER',
      TFTSR_S3_SECRET_ACCESS_KEY: 'S3RVER',
      TFTSR_S3_PART_SIZE_MIB: '5',
    }),
    storedFiles: () => walk(temp.dir).map((path) => ({ path, bytes: readFileSync(path) })),
    objectFile: (key) => {
      const parts = key.split('/');
      const name = parts.pop()!;
      return join(temp.dir, bucket, ...parts, `${name}._S3rver_object`);
    },
    cutAfter: (bytes) => (cut = bytes),
    flipAt: (offset) => (flip = offset),
    async close() {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
      temp.remove();
    },
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * The baseline of the `ingest-ndjson` row: node:http, no framework, no auth, no parsing. Each request body is
 * appended to one file; the bodies that arrive while one fdatasync runs are appended and synced together by the
 * next one, and answered after it: a group commit, as the API's for shipped lines (one SQLite commit with
 * synchronous = FULL for the shipper requests it has admitted). The fdatasync runs on libuv's pool, so unlike
 * better-sqlite3's commit it does not stop this process from reading and queueing the next requests meanwhile.
 *
 *   BENCH_DATA_DIR=… BENCH_PORT=… node bare-append.server.js
 */
import { mkdirSync, openSync } from 'node:fs';
import { appendFile, fdatasync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { join } from 'node:path';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

const dir = env('BENCH_DATA_DIR');
mkdirSync(dir, { recursive: true });
const fd = openSync(join(dir, 'lines.ndjson'), 'a');
let waiting: { body: Buffer; response: ServerResponse }[] = [];
let flushing = false;

function flush(): void {
  if (flushing || waiting.length === 0) return;
  flushing = true;
  const batch = waiting;
  waiting = [];
  appendFile(fd, Buffer.concat(batch.map((w) => w.body)), (err) => {
    if (err) throw err;
    fdatasync(fd, (syncErr) => {
      if (syncErr) throw syncErr;
      for (const { response } of batch) response.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
      flushing = false;
      flush();
    });
  });
}

createServer((request, response) => {
  if (request.method === 'GET') return void response.writeHead(200).end('{"ok":true}');
  const parts: Buffer[] = [];
  request.on('data', (d: Buffer) => parts.push(d));
  request.on('end', () => {
    waiting.push({ body: Buffer.concat(parts), response });
    setImmediate(flush);
  });
}).listen(Number(env('BENCH_PORT')), '127.0.0.1');

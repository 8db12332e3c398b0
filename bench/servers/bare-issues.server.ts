/**
 * The HTTP baseline for `POST /v1/issues` and `GET /v1/issues/:id`: bare Fastify, no Nest, no auth, no
 * validation, no audit. It opens the same kind of database the API does (SQLCipher, migrated, WAL, the same
 * `synchronous`), inserts the same row through the same repository in one BEGIN IMMEDIATE transaction, and
 * answers GET with a constant body of the size the API's answer has.
 *
 *   BENCH_DATA_DIR=… BENCH_DB_KEY=… BENCH_SYNCHRONOUS=FULL BENCH_PORT=… BENCH_GET_BODY=file.json node bare-issues.server.js
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Issue, Severity, Synchronous } from '@tftsr/db';
import { IssueRepository, loadMigrations, migrate, newId, openDatabase, toDbTimestamp, transaction } from '@tftsr/db';

interface CreateBody {
  title: string;
  description?: string;
  severity: Severity;
  tags?: string[];
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const dataDir = env('BENCH_DATA_DIR');
  mkdirSync(dataDir, { recursive: true });
  const db = openDatabase({
    path: join(dataDir, 'tftsr.db'),
    key: env('BENCH_DB_KEY'),
    synchronous: env('BENCH_SYNCHRONOUS') as Synchronous,
  });
  migrate(db, loadMigrations());
  const issues = new IssueRepository(db);
  const getBody: unknown = JSON.parse(readFileSync(env('BENCH_GET_BODY'), 'utf8'));

  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ ok: true }));
  app.post<{ Body: CreateBody }>('/v1/issues', async (request, reply) => {
    const body = request.body;
    const now = toDbTimestamp();
    const issue: Issue = {
      id: newId(),
      title: body.title,
      description: body.description ?? null,
      severity: body.severity,
      status: 'open',
      category: null,
      source: 'api',
      created_at: now,
      updated_at: now,
      resolved_at: null,
      assigned_to: null,
      tags: JSON.stringify(body.tags ?? []),
    };
    transaction(db, () => issues.insert(issue));
    return reply.code(201).send({ ...issue, tags: body.tags ?? [] });
  });
  app.get('/v1/issues/:id', async () => getBody);
  await app.listen({ port: Number(env('BENCH_PORT')), host: '127.0.0.1' });
  const close = () => void app.close().then(() => (db.close(), process.exit(0)));
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-issues server: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

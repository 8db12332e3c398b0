import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync } from 'node:fs';
import { ConfigError, loadConfig } from '../../../libs/config/src';
import { DatabaseError } from '../../../libs/db/src';
import { WorkerConfig } from './config/worker.config';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig(WorkerConfig, process.env);
  mkdirSync(config.dataDir, { recursive: true });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new Logger('worker') });
  app.enableShutdownHooks();
  new Logger('worker').log(`worker ${process.pid} started`);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DatabaseError) {
    process.stderr.write(`tftsr worker: ${err.message}\n`);
  } else {
    process.stderr.write(`tftsr worker: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

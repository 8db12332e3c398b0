import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  applyTestClockOffset,
  ConfigError,
  databaseOptions,
  ensureDataDir,
  loadConfig,
  onShutdownSignal,
  SHUTDOWN_CLOSE_MARGIN_MS,
} from '@tftsr/config';
import { DatabaseError, openAndMigrate, WalMonitor, warnAboutOpenModes } from '@tftsr/db';
import { loggerFor, PinoNestLogger, withoutRedaction } from '@tftsr/telemetry';
import { WorkerConfig } from './config/worker.config';
import { WorkerModule } from './worker.module';

async function main(): Promise<void> {
  const config = loadConfig(WorkerConfig, process.env);
  applyTestClockOffset(config);
  // Every Nest Logger, from here on and in every provider, writes JSON lines through pino.
  const log = loggerFor('worker', config);
  const nestLogger = new PinoNestLogger(log);
  Logger.overrideLogger(nestLogger);
  const logger = new Logger('worker');
  if (config.TFTSR_WORKER_ROLE === 'scanner') {
    // No data directory, no database: loaded only here, so nothing of the full worker starts.
    const { runScanner } = await import('./scanner/scanner-main');
    await runScanner(config, logger);
    logger.log(`scanner ${process.pid} started`);
    return;
  }
  ensureDataDir(config.dataDir);
  warnAboutOpenModes(config.dataDir, (message) => logger.warn(message));
  const db = openAndMigrate(databaseOptions(config), logger);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, db, new PinoNestLogger(withoutRedaction(log))), {
    logger: nestLogger,
    abortOnError: false,
  });
  logger.log(`worker ${process.pid} started`);
  // Long scans read while others write: keeps the -wal file bounded (libs/db/src/wal.ts); the API runs one too.
  const wal = new WalMonitor(db, {
    path: config.databasePath,
    thresholdBytes: config.TFTSR_WAL_CHECKPOINT_BYTES,
    intervalMs: config.TFTSR_WAL_CHECK_INTERVAL_MS,
    logger: new Logger('WalMonitor'),
  }).start();
  // The runner has its own grace for jobs; this outer limit only guards against a hung close.
  onShutdownSignal(logger, config.TFTSR_SHUTDOWN_GRACE_MS + SHUTDOWN_CLOSE_MARGIN_MS, () => (wal.stop(), app.close()));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DatabaseError) {
    process.stderr.write(`tftsr worker: ${err.message}\n`);
  } else {
    process.stderr.write(`tftsr worker: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

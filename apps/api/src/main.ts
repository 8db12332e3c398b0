import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { applyTestClockOffset, assertPortFree, ConfigError, ensureDataDir, loadConfig, portProblem, StartupError } from '@tftsr/config';
import { DatabaseError } from '@tftsr/db';
import { onShutdownSignal, SHUTDOWN_CLOSE_MARGIN_MS } from '@tftsr/config';
import { createApiApp } from './bootstrap';
import { requestsCut } from './common/connection-drain';
import { ApiConfig } from './config/api.config';

async function main(): Promise<void> {
  const logger = new Logger('api');
  const config = loadConfig(ApiConfig, process.env);
  applyTestClockOffset(config);
  ensureDataDir(config.dataDir);
  // Before the migrations and the one-time admin key: a taken port must not cost the operator that key.
  await assertPortFree(config.PORT, config.HOST, 'PORT');
  const app = await createApiApp(config);
  try {
    await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    // Taken between the check and here.
    const problem = portProblem(err, config.PORT, 'PORT');
    throw problem ? new StartupError(problem) : err;
  }
  logger.log(`listening on ${await app.getUrl()}`);
  // Requests get the grace period (common/connection-drain.ts), the rest of the close the margin after it. A close
  // that had to cut requests exits 1: something in flight was left unanswered.
  onShutdownSignal(logger, config.TFTSR_SHUTDOWN_GRACE_MS + SHUTDOWN_CLOSE_MARGIN_MS, async () => {
    await app.close();
    const cut = requestsCut(app.getHttpAdapter().getInstance());
    if (cut > 0) throw new Error(`${cut} request(s) were still in flight when the grace period ended, and were cut`);
  });
}

main().catch((err: unknown) => {
  // Configuration and key problems are the operator's to fix: one clear line, no stack.
  if (err instanceof ConfigError || err instanceof DatabaseError || err instanceof StartupError) {
    process.stderr.write(`tftsr api: ${err.message}\n`);
  } else {
    process.stderr.write(`tftsr api: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '../../../libs/config/src';
import { DatabaseError } from '../../../libs/db/src';
import { onShutdownSignal } from '../../../libs/config/src';
import { createApiApp } from './bootstrap';
import { ApiConfig } from './config/api.config';

async function main(): Promise<void> {
  const logger = new Logger('api');
  const config = loadConfig(ApiConfig, process.env);
  const app = await createApiApp(config);
  await app.listen({ port: config.PORT, host: config.HOST });
  logger.log(`listening on ${await app.getUrl()}`);
  onShutdownSignal(logger, config.TFTSR_SHUTDOWN_GRACE_MS, () => app.close());
}

main().catch((err: unknown) => {
  // Configuration and key problems are the operator's to fix: one clear line, no stack.
  if (err instanceof ConfigError || err instanceof DatabaseError) {
    process.stderr.write(`tftsr api: ${err.message}\n`);
  } else {
    process.stderr.write(`tftsr api: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

/**
 * The image's HEALTHCHECK, for both processes it runs: the API answers /health/ready on PORT; the worker serves
 * GET /metrics on TFTSR_WORKER_METRICS_PORT. Whichever listens in this container decides: an API that answers
 * "not ready" is unhealthy, and nothing listening on either port is unhealthy. Node built-ins only.
 */
const TIMEOUT_MS = 4000;

async function probe(url: string): Promise<{ listening: boolean; ok: boolean; status?: number }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.arrayBuffer();
    return { listening: true, ok: response.ok, status: response.status };
  } catch {
    return { listening: false, ok: false };
  }
}

export async function healthcheck(env: NodeJS.ProcessEnv = process.env): Promise<{ healthy: boolean; said: string }> {
  const api = `http://127.0.0.1:${env.PORT || '3000'}/health/ready`;
  const fromApi = await probe(api);
  if (fromApi.listening) return { healthy: fromApi.ok, said: `api ${api}: ${fromApi.status}` };
  const metrics = `http://127.0.0.1:${env.TFTSR_WORKER_METRICS_PORT || '9464'}/metrics`;
  const fromWorker = await probe(metrics);
  if (fromWorker.listening) return { healthy: fromWorker.ok, said: `worker ${metrics}: ${fromWorker.status}` };
  return { healthy: false, said: `nothing answers at ${api} or ${metrics}` };
}

if (require.main === module) {
  void healthcheck().then(({ healthy, said }) => {
    process.stdout.write(`${said}\n`);
    process.exit(healthy ? 0 : 1);
  });
}

import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigError } from '@tftsr/config';
import { loadConfig } from '@tftsr/config';
import { ApiConfig } from '@tftsr/api/config/api.config';
import type { TestApi } from '../support/api-harness';
import { failure, startTestApi } from '../support/api-harness';

const KEY = 'ai-key-that-must-stay-home-5d2e';

/** An OpenAI-compatible endpoint that records who called it and with which Authorization. */
async function fakeProvider(): Promise<{ server: Server; origin: string; seen: (string | undefined)[] }> {
  const seen: (string | undefined)[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' } }], usage: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/**
 * Issue 13, item 5: `ai.provider_url` can no longer reach internal addresses or carry TFTSR_AI_API_KEY anywhere
 * but TFTSR_AI_PROVIDER_ORIGIN, and its errors say "refused by policy" or "provider unreachable", nothing finer.
 */
describe('the AI provider URL', () => {
  let api: TestApi;
  let home: Awaited<ReturnType<typeof fakeProvider>>;
  let elsewhere: Awaited<ReturnType<typeof fakeProvider>>;

  beforeAll(async () => {
    home = await fakeProvider();
    elsewhere = await fakeProvider();
    api = await startTestApi('sec-ai', { TFTSR_AI_API_KEY: KEY, TFTSR_AI_PROVIDER_ORIGIN: home.origin });
  });

  afterAll(async () => {
    await api?.close();
    await Promise.all([home, elsewhere].map((p) => new Promise((resolve) => p?.server.close(resolve))));
  });

  async function complete(providerUrl: string) {
    expect((await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: providerUrl } })).status).toBe(200);
    const issue = await api.createIssue();
    const conversation = (
      await api.call('POST', `/v1/issues/${issue.id}/conversations`, { body: { provider: 'openai', model: 'm', title: 't' } })
    ).body;
    await api.call('POST', `/v1/conversations/${conversation.id}/messages`, { body: { role: 'user', content: 'hello' } });
    return api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} });
  }

  it('sends the key to the deploy-time origin', async () => {
    expect((await complete(`${home.origin}/v1`)).status).toBe(201);
    expect(home.seen).toEqual([`Bearer ${KEY}`]);
  });

  it('refuses http, loopback, unspecified, decimal, link-local and unlisted hosts by policy, sending nothing', async () => {
    const port = new URL(elsewhere.origin).port;
    for (const url of [
      `${elsewhere.origin}/v1`,
      `http://[::1]:${port}/v1`,
      'https://[::1]/v1',
      'https://0.0.0.0/v1',
      'https://2130706433/v1',
      'https://0x7f000001/v1',
      'https://169.254.169.254/latest',
      'https://metadata.google.internal/v1',
      'https://llm.attacker.example/v1',
    ]) {
      const result = await complete(url);
      expect({ url, answer: failure(result), details: result.body.error.details }).toEqual({
        url,
        answer: [502, 'AI_PROVIDER_ERROR'],
        details: { reason: 'refused by policy' },
      });
    }
    expect(elsewhere.seen).toEqual([]);
  });

  it('says only "provider unreachable" when the connection fails', async () => {
    const closed = await fakeProvider();
    const origin = closed.origin;
    await new Promise((resolve) => closed.server.close(resolve));
    const other = await startTestApi('sec-ai-down', { TFTSR_AI_API_KEY: KEY, TFTSR_AI_PROVIDER_ORIGIN: origin });
    try {
      await other.call('PUT', '/v1/settings/ai.provider_url', { body: { value: `${origin}/v1` } });
      const issue = await other.createIssue();
      const conversation = (
        await other.call('POST', `/v1/issues/${issue.id}/conversations`, { body: { provider: 'openai', model: 'm', title: 't' } })
      ).body;
      await other.call('POST', `/v1/conversations/${conversation.id}/messages`, { body: { role: 'user', content: 'hello' } });
      const result = await other.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} });
      expect(failure(result)).toEqual([502, 'AI_PROVIDER_ERROR']);
      expect(result.body.error.details).toEqual({ reason: 'provider unreachable' });
      expect(result.body.error.message).not.toMatch(/ECONN|refused|ENOTFOUND|timeout/i);
    } finally {
      await other.close();
    }
  });

  it('refuses to start with the key but no origin, or with an origin that is not https', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(ApiConfig, env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ NODE_ENV: 'production', TFTSR_DB_KEY: 'a-long-enough-key', TFTSR_AI_API_KEY: KEY }).join()).toMatch(
      /TFTSR_AI_PROVIDER_ORIGIN/,
    );
    expect(
      problems({
        NODE_ENV: 'production',
        TFTSR_DB_KEY: 'a-long-enough-key',
        TFTSR_AI_API_KEY: KEY,
        TFTSR_AI_PROVIDER_ORIGIN: 'http://127.0.0.1:8080',
      }).join(),
    ).toMatch(/must be https/);
    expect(
      problems({
        NODE_ENV: 'production',
        TFTSR_DB_KEY: 'a-long-enough-key',
        TFTSR_AI_API_KEY: KEY,
        TFTSR_AI_PROVIDER_ORIGIN: 'https://api.openai.com',
      }),
    ).toEqual([]);
  });
});

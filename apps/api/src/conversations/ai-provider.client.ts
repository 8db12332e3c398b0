import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Response } from 'undici';
import { IntegrationHttp } from '@tftsr/integrations';
import { checkProviderUrl } from './ai-provider-policy';
import { ApiConfig } from '../config/api.config';
import { DomainError, ErrorCode } from '../common/domain-error';

export interface ProviderReply {
  content: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Refused before anything was sent: the URL is not one a completion may go to. */
const REFUSED = 'refused by policy';
/** Anything that failed on the way (name, address, connection, TLS, timeout, a redirect): which step, is not said. */
const UNREACHABLE = 'provider unreachable';

/**
 * One call to an OpenAI-compatible `POST {base}/chat/completions`. The key comes from TFTSR_AI_API_KEY only, and
 * goes only to TFTSR_AI_PROVIDER_ORIGIN (ai-provider-policy.ts); any other URL is checked like an integration's
 * (https, allow-list, the address when connecting). Errors say "refused by policy" or "provider unreachable", or
 * name the HTTP status the provider answered; never the body (it may echo what was sent).
 */
@Injectable()
export class AiProviderClient implements OnApplicationShutdown {
  // The deploy-time origin is the operator's: any address. Anything else: public unicast only, checked per connection.
  private readonly pinnedHttp = new IntegrationHttp({ allowedAddresses: ['0.0.0.0/0', '::/0'] });
  private readonly guardedHttp = new IntegrationHttp();

  constructor(private readonly config: ApiConfig) {}

  /** After the HTTP server has closed (not onModuleDestroy, which runs before): requests in flight still get through. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.pinnedHttp.close(), this.guardedHttp.close()]);
  }

  async complete(baseUrl: string, body: string): Promise<ProviderReply> {
    const target = checkProviderUrl(baseUrl, this.config.TFTSR_AI_PROVIDER_ORIGIN);
    if (!target) throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider URL is ${REFUSED}`, { reason: REFUSED });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (target.pinned && this.config.TFTSR_AI_API_KEY) headers.authorization = `Bearer ${this.config.TFTSR_AI_API_KEY}`;
    let response: Response;
    try {
      response = await (target.pinned ? this.pinnedHttp : this.guardedHttp).fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.config.TFTSR_AI_TIMEOUT_MS),
      });
    } catch (err) {
      const blocked = (err as { cause?: { code?: string } }).cause?.code === 'ERR_BLOCKED_ADDRESS';
      const reason = blocked ? REFUSED : UNREACHABLE;
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider could not be reached: ${reason}`, { reason });
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider could not be reached: ${UNREACHABLE}`, { reason: UNREACHABLE });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider answered HTTP ${response.status}`, {
        provider_status: response.status,
      });
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, 'the AI provider’s answer is not JSON', { reason: 'malformed reply' });
    }
    return toReply(parsed);
  }
}

function toReply(parsed: unknown): ProviderReply {
  const body = parsed as { choices?: { message?: { content?: unknown } }[]; usage?: Record<string, unknown> } | null;
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') {
    throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, 'the AI provider’s answer has no choices[0].message.content', {
      reason: 'malformed reply',
    });
  }
  const count = (name: string) => {
    const value = body?.usage?.[name];
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
  };
  const prompt = count('prompt_tokens');
  const completion = count('completion_tokens');
  return { content, prompt_tokens: prompt, completion_tokens: completion, total_tokens: count('total_tokens') || prompt + completion };
}

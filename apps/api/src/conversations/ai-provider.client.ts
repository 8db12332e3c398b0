import { Injectable } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';
import { DomainError, ErrorCode } from '../common/domain-error';

export interface ProviderReply {
  content: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * One call to an OpenAI-compatible `POST {base}/chat/completions`. The key comes from TFTSR_AI_API_KEY only;
 * errors name the HTTP status or the network error code, never the body (it may echo what was sent).
 */
@Injectable()
export class AiProviderClient {
  constructor(private readonly config: ApiConfig) {}

  async complete(baseUrl: string, body: string): Promise<ProviderReply> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.config.TFTSR_AI_API_KEY) headers.authorization = `Bearer ${this.config.TFTSR_AI_API_KEY}`;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/chat/completions`, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.config.TFTSR_AI_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = (err as Error).name === 'TimeoutError' ? 'timeout' : (cause?.code ?? cause?.message ?? 'network error');
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider could not be reached (${reason})`, { reason });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, `the AI provider answered HTTP ${response.status}`, { provider_status: response.status });
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
    throw new DomainError(ErrorCode.AI_PROVIDER_ERROR, 'the AI provider’s answer has no choices[0].message.content', { reason: 'malformed reply' });
  }
  const count = (name: string) => {
    const value = body?.usage?.[name];
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
  };
  const prompt = count('prompt_tokens');
  const completion = count('completion_tokens');
  return { content, prompt_tokens: prompt, completion_tokens: completion, total_tokens: count('total_tokens') || prompt + completion };
}

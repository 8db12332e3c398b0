import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId, toDbTimestamp } from '@tftsr/db';
import { factory } from '../support/factory';
import { failure, startTestApi, useTestApi } from '../support/api-harness';
import { waitFor } from '../support/app-processes';
import { heldBody } from '../support/held-body';

const PROVIDER_KEY = 'provider-key-for-tests-7c1d';
/** Values that must never reach the provider, whichever way they entered. */
const PLANTED = ['planted.person@example.com', 'Planted-Secret-41f7', '203.0.113.77', 'ghp_PlantedPlantedPlantedPlanted01234567'];

type Mode = 'ok' | 'http-500' | 'not-json' | 'no-choices' | 'leaky-reply';

interface Received {
  authorization: string | undefined;
  raw: string;
  body: { model: string; messages: { role: string; content: string }[]; stream: boolean; max_tokens?: number };
}

/** An OpenAI-compatible chat-completions endpoint that checks every request it receives. */
class FakeProvider {
  readonly received: Received[] = [];
  readonly problems: string[] = [];
  mode: Mode = 'ok';
  private server: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') this.problems.push(`unexpected ${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${PROVIDER_KEY}`) this.problems.push(`wrong authorization: ${req.headers.authorization}`);
    if (!String(req.headers['content-type']).startsWith('application/json')) this.problems.push('not JSON');
    for (const secret of PLANTED) if (raw.includes(secret)) this.problems.push(`received a planted secret: ${secret}`);
    const body = JSON.parse(raw) as Received['body'];
    const shapeOk =
      typeof body.model === 'string' &&
      body.stream === false &&
      Array.isArray(body.messages) &&
      body.messages.every(
        (m) => ['system', 'user', 'assistant'].includes(m.role) && typeof m.content === 'string' && Object.keys(m).length === 2,
      );
    if (!shapeOk) this.problems.push(`bad body shape: ${raw.slice(0, 200)}`);
    this.received.push({ authorization: req.headers.authorization, raw, body });

    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const reply = (content: string) =>
      json(200, {
        id: 'cmpl-1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
      });
    switch (this.mode) {
      case 'ok':
        return reply('Check the connection pool size.');
      case 'leaky-reply':
        return reply('Ask admin@corp.example.com about 198.51.100.9');
      case 'http-500':
        return json(500, { error: { message: `echo: ${raw.slice(0, 50)}` } });
      case 'not-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"choices": [');
      case 'no-choices':
        return json(200, { usage: {} });
    }
  }
}

describe('AI conversations API', () => {
  let provider: FakeProvider;
  let providerUrl: string;
  let readKey: string;

  beforeAll(async () => {
    provider = new FakeProvider();
    providerUrl = await provider.start();
  });
  const api = useTestApi('conversations', () => ({
    TFTSR_AI_API_KEY: PROVIDER_KEY,
    TFTSR_AI_PROVIDER_ORIGIN: new URL(providerUrl).origin,
  }));
  beforeAll(async () => {
    readKey = api.createKey('reader', ['read']);
    expect((await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: providerUrl } })).status).toBe(200);
  });
  afterAll(async () => {
    await provider.stop();
  });
  beforeEach(() => {
    provider.mode = 'ok';
  });
  afterEach(() => {
    expect(provider.problems.splice(0)).toEqual([]);
  });

  async function newConversation(body: Record<string, unknown> = { provider: 'openai', model: 'gpt-4o-mini', title: 'triage' }) {
    const issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
    const result = await api.call('POST', `/v1/issues/${issueId}/conversations`, { body });
    expect(result.status).toBe(201);
    return result.body;
  }
  const say = (conversationId: string, role: string, content: string, token_count?: number) =>
    api.call('POST', `/v1/conversations/${conversationId}/messages`, {
      body: { role, content, ...(token_count === undefined ? {} : { token_count }) },
    });
  const auditOf = (action: string, entityId: string) =>
    (
      api.db.prepare(`SELECT details, user_id FROM audit_log WHERE action = ? AND entity_id = ? ORDER BY rowid`).all(action, entityId) as {
        details: string;
        user_id: string;
      }[]
    ).map((r) => ({
      ...JSON.parse(r.details),
      user_id: r.user_id,
    }));

  describe('POST /v1/issues/:id/conversations', () => {
    it('creates a conversation with the given provider and model, and a redacted title', async () => {
      const conversation = await newConversation({ provider: 'openai', model: 'gpt-4o', title: 'mail from planted.person@example.com' });
      expect(conversation).toMatchObject({ provider: 'openai', model: 'gpt-4o', title: 'mail from [Email]' });
      expect(auditOf('create_conversation', conversation.id)).toEqual([
        expect.objectContaining({ provider: 'openai', pii_types_redacted: ['Email'], user_id: 'bootstrap' }),
      ]);
    });

    it('defaults provider and model to the settings', async () => {
      expect(await newConversation({})).toMatchObject({ provider: 'ollama', model: 'llama3.2:3b', title: null });
    });

    it.each([
      ['an upper-case provider', { provider: 'OpenAI' }],
      ['an empty model', { model: '' }],
      ['an unknown field', { temperature: 1 }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      const issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/conversations`, { body }))).toEqual([400, 'VALIDATION_FAILED']);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      const issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/conversations`, { rawBody: '{"a":' }))).toEqual([400, 'INVALID_JSON']);
    });

    it('answers an unknown issue with 404 ISSUE_NOT_FOUND', async () => {
      expect(failure(await api.call('POST', '/v1/issues/missing/conversations', { body: {} }))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });
  });

  describe('POST /v1/conversations/:id/messages', () => {
    it('stores every role’s content redacted and audits its hash and the types, never the content', async () => {
      const conversation = await newConversation();
      const user = await say(conversation.id, 'user', 'I am planted.person@example.com, password=Planted-Secret-41f7', 12);
      expect(user.status).toBe(201);
      expect(user.body).toMatchObject({ role: 'user', content: 'I am [Email], [Password]', token_count: 12 });
      const assistant = await say(conversation.id, 'assistant', 'Try 203.0.113.77');
      expect(assistant.body).toMatchObject({ role: 'assistant', content: 'Try [IPv4]', token_count: 0 });
      const [entry] = auditOf('add_message', user.body.id);
      expect(entry).toMatchObject({
        role: 'user',
        pii_types_redacted: ['Password', 'Email'],
        content_sha256: createHash('sha256').update('I am [Email], [Password]').digest('hex'),
      });
      const stored = JSON.stringify(api.db.prepare('SELECT content FROM ai_messages WHERE conversation_id = ?').all(conversation.id));
      for (const secret of PLANTED) expect(stored).not.toContain(secret);
    });

    it.each([
      ['an unknown role', { role: 'tool', content: 'x' }],
      ['empty content', { role: 'user', content: '' }],
      ['a negative token_count', { role: 'user', content: 'x', token_count: -1 }],
    ])('refuses %s with 400 VALIDATION_FAILED', async (_, body) => {
      const conversation = await newConversation();
      expect(failure(await api.call('POST', `/v1/conversations/${conversation.id}/messages`, { body }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      const conversation = await newConversation();
      expect(failure(await api.call('POST', `/v1/conversations/${conversation.id}/messages`, { rawBody: '"' }))).toEqual([
        400,
        'INVALID_JSON',
      ]);
    });

    it('answers an unknown conversation with 404 CONVERSATION_NOT_FOUND', async () => {
      expect(failure(await say('missing', 'user', 'hi'))).toEqual([404, 'CONVERSATION_NOT_FOUND']);
    });

    it('refuses a read-only key with 403 FORBIDDEN', async () => {
      const conversation = await newConversation();
      expect(
        failure(
          await api.call('POST', `/v1/conversations/${conversation.id}/messages`, { key: readKey, body: { role: 'user', content: 'x' } }),
        ),
      ).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('GET /v1/conversations/:id', () => {
    it('returns the conversation with its messages in the order they were written', async () => {
      const conversation = await newConversation();
      for (const content of ['one', 'two', 'three']) await say(conversation.id, 'user', content);
      const { status, body } = await api.call('GET', `/v1/conversations/${conversation.id}`, { key: readKey });
      expect(status).toBe(200);
      expect(body).toEqual({ ...conversation, messages: expect.any(Array) });
      expect(body.messages.map((m: { content: string }) => m.content)).toEqual(['one', 'two', 'three']);
    });

    it('answers an unknown conversation with 404 CONVERSATION_NOT_FOUND', async () => {
      expect(failure(await api.call('GET', '/v1/conversations/missing'))).toEqual([404, 'CONVERSATION_NOT_FOUND']);
    });
  });

  describe('POST /v1/conversations/:id/completions', () => {
    it('sends the redacted history with the provider key, stores the reply and audits ai_send with the hash of exactly what was sent', async () => {
      const conversation = await newConversation();
      await say(conversation.id, 'system', 'You help planted.person@example.com.');
      await say(conversation.id, 'user', 'Login failed with password=Planted-Secret-41f7 from 203.0.113.77');
      // A row written before redaction existed (or by another tool): it must be redacted on the way out.
      api.db
        .prepare(`INSERT INTO ai_messages (id, conversation_id, role, content, token_count, created_at) VALUES (?, ?, 'user', ?, 0, ?)`)
        .run(newId(), conversation.id, 'token ghp_PlantedPlantedPlantedPlanted01234567 too', toDbTimestamp());
      provider.received.length = 0;

      const { status, body } = await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: { max_tokens: 256 } });
      expect(status).toBe(201);
      expect(body).toEqual({
        message: expect.objectContaining({ role: 'assistant', content: 'Check the connection pool size.', token_count: 7 }),
        usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
      });
      expect(provider.received).toHaveLength(1);
      const sent = provider.received[0];
      expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 256 });
      expect(sent.body.messages.map((m) => m.role)).toEqual(['system', 'user', 'user']);
      expect(sent.body.messages[2].content).toBe('token [GitHubToken] too');

      const [audit] = auditOf('ai_send', conversation.id);
      expect(audit).toMatchObject({
        outcome: 'ok',
        issue_id: conversation.issue_id,
        provider: 'openai',
        model: 'gpt-4o-mini',
        message_count: 3,
        request_sha256: createHash('sha256').update(sent.raw).digest('hex'),
        pii_types_redacted: ['GitHubToken', 'Password', 'Email', 'IPv4'],
        reply_message_id: body.message.id,
        prompt_tokens: 42,
        completion_tokens: 7,
        user_id: 'bootstrap',
      });
      const everything = JSON.stringify(api.db.prepare(`SELECT * FROM audit_log`).all());
      for (const secret of [...PLANTED, PROVIDER_KEY]) expect(everything).not.toContain(secret);
      const detail = await api.call('GET', `/v1/conversations/${conversation.id}`);
      expect(detail.body.messages.at(-1).id).toBe(body.message.id);
    });

    it('never sends an entity-spelled e-mail, card, AWS key or password, stored or typed', async () => {
      const encoded =
        'mail jane&#64;example&#46;com, card 4111&#32;1111&#32;1111&#32;1111, key &#65;KIAIOSFODNN7EXAMPLE, password&#61;Hunter2&#33;x';
      const conversation = await newConversation();
      expect((await say(conversation.id, 'user', encoded)).body.content).toBe(
        'mail [Email], card [CreditCard], key [AwsAccessKey], [Password]',
      );
      // Written behind the API's back (an older version, another tool): the exit gate still reads it as sent.
      api.db
        .prepare(`INSERT INTO ai_messages (id, conversation_id, role, content, token_count, created_at) VALUES (?, ?, 'user', ?, 0, ?)`)
        .run(newId(), conversation.id, encoded, toDbTimestamp());
      provider.received.length = 0;
      expect((await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} })).status).toBe(201);
      const sent = provider.received[0].raw;
      for (const value of ['jane@example.com', 'jane&#64;', '4111&#32;1111', '&#65;KIA', 'AKIAIOSFODNN7EXAMPLE', 'Hunter2'])
        expect(sent).not.toContain(value);
      expect(auditOf('ai_send', conversation.id)[0].pii_types_redacted).toEqual(
        expect.arrayContaining(['AwsAccessKey', 'Password', 'CreditCard', 'Email']),
      );
    });

    it('stores a reply that contains PII redacted', async () => {
      const conversation = await newConversation();
      await say(conversation.id, 'user', 'who do I ask?');
      provider.mode = 'leaky-reply';
      const { body } = await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} });
      expect(body.message.content).toBe('Ask [Email] about [IPv4]');
    });

    it.each([['http-500'], ['not-json'], ['no-choices']] as const)(
      'answers a provider failure (%s) with 502 AI_PROVIDER_ERROR, stores nothing, and still audits that the history was sent',
      async (mode) => {
        const conversation = await newConversation();
        await say(conversation.id, 'user', 'hello');
        provider.mode = mode;
        const result = await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} });
        expect(failure(result)).toEqual([502, 'AI_PROVIDER_ERROR']);
        expect(JSON.stringify(result.body)).not.toContain('echo');
        expect((await api.call('GET', `/v1/conversations/${conversation.id}`)).body.messages).toHaveLength(1);
        expect(auditOf('ai_send', conversation.id)).toEqual([
          expect.objectContaining({ outcome: 'failed', error_code: 'AI_PROVIDER_ERROR' }),
        ]);
      },
    );

    it('answers a provider URL off the key’s origin and the allow-list with 502 AI_PROVIDER_ERROR, refused by policy', async () => {
      const conversation = await newConversation();
      await say(conversation.id, 'user', 'hello');
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: `http://127.0.0.1:${port}/v1` } });
      try {
        const result = await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} });
        expect(failure(result)).toEqual([502, 'AI_PROVIDER_ERROR']);
        expect(result.body.error.details).toEqual({ reason: 'refused by policy' });
      } finally {
        await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: providerUrl } });
      }
    });

    it('answers a conversation without messages with 409 CONVERSATION_EMPTY, sending nothing', async () => {
      const conversation = await newConversation();
      const before = provider.received.length;
      expect(failure(await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: {} }))).toEqual([
        409,
        'CONVERSATION_EMPTY',
      ]);
      expect(provider.received.length).toBe(before);
    });

    it('refuses out-of-range options with 400 VALIDATION_FAILED', async () => {
      const conversation = await newConversation();
      expect(failure(await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { body: { temperature: 3 } }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    });

    it('answers malformed JSON with 400 INVALID_JSON', async () => {
      const conversation = await newConversation();
      expect(failure(await api.call('POST', `/v1/conversations/${conversation.id}/completions`, { rawBody: '{x}' }))).toEqual([
        400,
        'INVALID_JSON',
      ]);
    });

    it('answers an unknown conversation with 404 CONVERSATION_NOT_FOUND', async () => {
      expect(failure(await api.call('POST', '/v1/conversations/missing/completions', { body: {} }))).toEqual([
        404,
        'CONVERSATION_NOT_FOUND',
      ]);
    });

    it('never returns the provider key, in settings or anywhere else', async () => {
      const settings = await api.call('GET', '/v1/settings');
      expect(JSON.stringify(settings.body)).not.toContain(PROVIDER_KEY);
    });
  });
});

describe('AI conversations while the API closes', () => {
  it('still asks the provider for a request in flight when the close began: the client is closed after the server', async () => {
    const provider = new FakeProvider();
    const providerUrl = await provider.start();
    const api = await startTestApi('conversations-close', {
      TFTSR_AI_API_KEY: PROVIDER_KEY,
      TFTSR_AI_PROVIDER_ORIGIN: new URL(providerUrl).origin,
    });
    let closing: Promise<void> | undefined;
    try {
      expect((await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: providerUrl } })).status).toBe(200);
      const issueId = (await api.createIssue()).id as string;
      const conversation = await api.call('POST', `/v1/issues/${issueId}/conversations`, { body: {} });
      expect(conversation.status).toBe(201);
      const path = `/v1/conversations/${conversation.body.id as string}`;
      expect((await api.call('POST', `${path}/messages`, { body: { role: 'user', content: 'why did the pool run dry?' } })).status).toBe(
        201,
      );

      // The request arrives, and its body is still on the way when the close begins.
      const body = heldBody(Buffer.from('{'));
      const server = api.app.getHttpServer();
      const arrived = once(server, 'request');
      const answer = fetch(`${api.base}${path}/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
        body: body.stream,
        duplex: 'half',
      } as RequestInit);
      await arrived;
      closing = api.close();
      // The listener goes once the modules' destroy hooks have run.
      await waitFor(
        async () => !server.listening,
        10_000,
        () => 'the API never stopped listening',
      );
      body.send(Buffer.from('}'));
      const response = await answer;
      const reply = (await response.json()) as { message?: { role: string; content: string } };
      expect([response.status, reply.message]).toEqual([
        201,
        expect.objectContaining({ role: 'assistant', content: 'Check the connection pool size.' }),
      ]);
      expect(provider.received).toHaveLength(1);
      expect(provider.problems).toEqual([]);
    } finally {
      await (closing ?? api.close());
      await provider.stop();
    }
  });
});

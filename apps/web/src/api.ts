/** The API client: same origin, Bearer key from the session, errors carry the API's code and request_id. */

export type Scope = 'read' | 'write' | 'admin' | 'pii:reveal';

const STORAGE_KEY = 'tftsr.api_key';

/** Kept in sessionStorage only: gone when the tab closes; never localStorage, never a cookie. */
export const session = {
  get key(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  set(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  clear(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** admin includes write, write includes read; pii:reveal is only ever granted by name (as on the server). */
export function can(scopes: readonly Scope[], needed: Scope): boolean {
  if (scopes.includes(needed)) return true;
  if (needed === 'read') return scopes.includes('write') || scopes.includes('admin');
  if (needed === 'write') return scopes.includes('admin');
  return false;
}

let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(fn: () => void): void {
  onUnauthenticated = fn;
}

async function raw(method: string, path: string, body?: unknown, keyOverride?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = keyOverride ?? session.key;
  if (key) headers.authorization = `Bearer ${key}`;
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', `the service did not answer (${(err as Error).message})`, null);
  }
  if (!response.ok) {
    const requestId = response.headers.get('x-request-id');
    let parsed: { error?: { code?: string; message?: string; details?: Record<string, unknown> }; request_id?: string } = {};
    try {
      parsed = (await response.json()) as typeof parsed;
    } catch {
      // Not our JSON (a proxy's page): the status and request id still say what happened.
    }
    const error = new ApiError(
      response.status,
      parsed.error?.code ?? `HTTP_${response.status}`,
      parsed.error?.message ?? response.statusText ?? 'request failed',
      parsed.request_id ?? requestId,
      parsed.error?.details,
    );
    if (response.status === 401 && !keyOverride) onUnauthenticated();
    throw error;
  }
  return response;
}

export async function api<T>(method: string, path: string, body?: unknown, keyOverride?: string): Promise<T> {
  const response = await raw(method, path, body, keyOverride);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => api<T>('GET', path);

/** Saves a response as a file: fetched with the key (a plain link could not send it), then handed to the browser. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await raw('GET', path);
  const disposition = response.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="([^"]+)"/i.exec(disposition);
  const name = star ? decodeURIComponent(star[1]) : (plain?.[1] ?? fallbackName);
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Server-Sent Events over fetch: EventSource cannot send an Authorization header. Calls onEvent for each event
 * until the stream ends or the returned function is called.
 */
export function subscribe(path: string, onEvent: (type: string, data: unknown) => void, onEnd: (error?: ApiError) => void): () => void {
  const controller = new AbortController();
  (async () => {
    const response = await fetch(path, {
      headers: { authorization: `Bearer ${session.key ?? ''}`, accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      onEnd(
        new ApiError(response.status, `HTTP_${response.status}`, 'the progress stream was refused', response.headers.get('x-request-id')),
      );
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let type = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length) {
          try {
            onEvent(type, JSON.parse(data.join('\n')));
          } catch {
            onEvent(type, data.join('\n'));
          }
        }
      }
    }
    onEnd();
  })().catch((err: unknown) => {
    if (!controller.signal.aborted) onEnd(new ApiError(0, 'NETWORK_ERROR', String((err as Error)?.message ?? err), null));
  });
  return () => controller.abort();
}

export const qs = (params: Record<string, string | number | boolean | undefined | null | string[]>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((item) => search.append(k, item));
    else search.set(k, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
};

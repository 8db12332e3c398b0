import type { Socket } from 'node:net';
import { connect } from 'node:net';

export interface RawExchange {
  socket: Socket;
  /** Resolves with everything the server sent once it closed the connection or sent a whole head. */
  response: Promise<{ statusLine: string; text: string; closed: boolean }>;
}

/**
 * A request written by hand on a plain socket, for what fetch cannot do: stop mid-body, trickle a body, or
 * announce more than is sent. `head` is the request line and headers without the blank line.
 */
export function rawRequest(base: string, head: string, body: Buffer | string = ''): RawExchange {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.write(`${head}\r\nhost: ${hostname}:${port}\r\n\r\n`);
  if (body.length > 0) socket.write(body);
  const response = new Promise<{ statusLine: string; text: string; closed: boolean }>((resolve) => {
    let text = '';
    const done = (closed: boolean) => resolve({ statusLine: text.split('\r\n')[0], text, closed });
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => done(true));
  });
  return { socket, response };
}

/** Resolves when `check` passes, polling; rejects after `timeoutMs`. For effects that follow an answer. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}`);
}

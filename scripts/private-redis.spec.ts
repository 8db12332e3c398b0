/** The launcher's Redis helper against fake TCP servers; the real redis-server is in test/medium/private-redis.spec.ts. */
import net from 'node:net';
import { fakeTcpServer } from '../test/support/fake-tcp-server';
import { findFreePort, parseRedisUrl, pingRedis } from './private-redis';

/** Answers each AUTH with +OK and each PING with +PONG, however the client splits its writes. */
function answerAuthAndPing(received: string): string {
  return received
    .split('\r\n')
    .filter((line) => /^(auth|ping)$/i.test(line))
    .map((command) => (command.toLowerCase() === 'auth' ? '+OK\r\n' : '+PONG\r\n'))
    .join('');
}

describe('parseRedisUrl', () => {
  it('defaults the port to 6379', () => {
    expect(parseRedisUrl('redis://cache')).toEqual({ host: 'cache', port: 6379, tls: false, username: undefined, password: undefined });
  });

  it('reads an IPv6 host, a port, TLS and decoded credentials', () => {
    expect(parseRedisUrl('rediss://app:p%40ss@[::1]:6380/2')).toEqual({
      host: '::1',
      port: 6380,
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
  });

  it('reads a password without a user name', () => {
    expect(parseRedisUrl('redis://:secret@127.0.0.1:6379')).toMatchObject({ username: undefined, password: 'secret' });
  });

  it('rejects other schemes', () => {
    expect(() => parseRedisUrl('http://127.0.0.1:6379')).toThrow('must start with redis:// or rediss://');
  });

  it('does not echo an unparsable URL, which may hold a password', () => {
    expect(() => parseRedisUrl('redis://:hunter2@bad host')).toThrow(/^(?!.*hunter2)/);
  });
});

describe('findFreePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await findFreePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

describe('pingRedis', () => {
  it('reports a closed port as unreachable, not as answered', async () => {
    const port = await findFreePort();
    const result = await pingRedis({ host: '127.0.0.1', port, tls: false });
    expect(result).toMatchObject({ ok: false, answered: false });
  });

  it('reports a server that answers PING with an error as answered', async () => {
    const server = await fakeTcpServer(() => '-NOAUTH Authentication required.\r\n');
    try {
      const result = await pingRedis({ host: '127.0.0.1', port: server.port, tls: false });
      expect(result).toEqual({ ok: false, answered: true, reason: 'NOAUTH Authentication required.' });
    } finally {
      await server.close();
    }
  });

  it('sends AUTH with the URL credentials before PING', async () => {
    const server = await fakeTcpServer(answerAuthAndPing);
    try {
      const result = await pingRedis(parseRedisUrl(`redis://app:s3cret@127.0.0.1:${server.port}`));
      expect(result).toEqual({ ok: true });
      // Command names are case-insensitive in Redis; ioredis sends them in lower case.
      expect(server.received.join('')).toMatch(/^\*3\r\n\$4\r\nAUTH\r\n\$3\r\napp\r\n\$6\r\ns3cret\r\n\*1\r\n\$4\r\nPING\r\n$/i);
    } finally {
      await server.close();
    }
  });

  it('gives up on a server that never answers', async () => {
    const server = await fakeTcpServer();
    try {
      const result = await pingRedis({ host: '127.0.0.1', port: server.port, tls: false }, 200);
      expect(result).toEqual({ ok: false, answered: false, reason: 'no answer within 200 ms' });
    } finally {
      await server.close();
    }
  });
});

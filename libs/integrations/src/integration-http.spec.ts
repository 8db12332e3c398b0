import type { Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFn } from './guarded-lookup';
import { BlockedAddressError, isBlockedAddress } from './guarded-lookup';
import { IntegrationHttp } from './integration-http';

/** A local listener that counts every TCP connection it sees, so a test can prove no packet reached it. */
async function listener(handler: (res: ServerResponse) => void = (res) => res.end('ok')) {
  let connections = 0;
  const server: Server = createServer((_req, res) => handler(res));
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close: () => new Promise((r) => server.close(r)) };
}

const resolveTo =
  (address: string, family = 4): LookupFn =>
  (_host, _options, callback) =>
    callback(null, [{ address, family }]);

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.5',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::7f00:1',
    'fc00::1',
    'fe80::1',
    '2002:7f00:1::1',
    '224.0.0.1',
  ])('blocks %s', (address) => expect(isBlockedAddress(address)).toEqual(expect.any(String)));

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])('lets the public address %s through', (address) => {
    expect(isBlockedAddress(address)).toBeNull();
  });

  it('lets a test allowance through, and nothing else', () => {
    expect(isBlockedAddress('127.0.0.1', ['127.0.0.0/8'])).toBeNull();
    expect(isBlockedAddress('10.0.0.1', ['127.0.0.0/8'])).toEqual(expect.any(String));
  });
});

describe('IntegrationHttp', () => {
  it('refuses, at connect time, a name that resolves to an internal address (DNS rebinding), and nothing reaches it', async () => {
    const target = await listener();
    const sut = new IntegrationHttp({ resolve: resolveTo('127.0.0.1') });
    await expect(sut.fetch(`http://rebind.example.test:${target.port}/`)).rejects.toMatchObject({ cause: expect.any(BlockedAddressError) });
    await sut.close();
    expect(target.connections()).toBe(0);
    await target.close();
  });

  it('refuses an IPv4-mapped IPv6 answer too', async () => {
    const target = await listener();
    const sut = new IntegrationHttp({ resolve: resolveTo('::ffff:127.0.0.1', 6) });
    await expect(sut.fetch(`http://mapped.example.test:${target.port}/`)).rejects.toMatchObject({ cause: expect.any(BlockedAddressError) });
    await sut.close();
    expect(target.connections()).toBe(0);
    await target.close();
  });

  it('never follows a redirect: the 302 comes back, and its internal target sees no connection', async () => {
    const internal = await listener();
    const allowed = await listener((res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${internal.port}/steal` });
      res.end();
    });
    // The test allowance stands in for a public host: the allowed fake is reached, the redirect is not followed.
    const sut = new IntegrationHttp({ allowedAddresses: ['127.0.0.1/32'], resolve: resolveTo('127.0.0.1') });
    const response = await sut.fetch(`http://allowed.example.test:${allowed.port}/`, { headers: { authorization: 'Basic Y2FuYXJ5' } });
    expect(response.status).toBe(302);
    await response.body?.cancel();
    await sut.close();
    expect([allowed.connections(), internal.connections()]).toEqual([1, 0]);
    await Promise.all([allowed.close(), internal.close()]);
  });
});

import ipaddr from 'ipaddr.js';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';

export type LookupFn = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A blocked address, with the reason, so a failed connection explains itself without a packet sent. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_BLOCKED_ADDRESS';
}

/**
 * Only globally routable unicast addresses: loopback, private, link-local, unique-local, the unspecified
 * address, carrier-grade NAT, multicast, and the IPv6 forms that embed IPv4 (mapped, NAT64, 6to4, Teredo) are
 * all refused. `allowed` (CIDRs) exists for tests that publish to local fakes; production never sets it.
 */
export function isBlockedAddress(address: string, allowed: readonly string[] = []): string | null {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (allowed.some((cidr) => isInCidr(ip, cidr))) return null;
  const range = ip.range();
  return range === 'unicast' ? null : `${address} is a ${range} address`;
}

function isInCidr(ip: ipaddr.IPv4 | ipaddr.IPv6, cidr: string): boolean {
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return net.kind() === ip.kind() && ip.match([net, bits] as never);
}

/**
 * A `lookup` for net/tls connect: resolves every address of the name and refuses the connection if any is
 * blocked. Checking at connect time, on the address actually dialled, defeats DNS rebinding.
 */
export function guardedLookup(allowed: readonly string[] = [], resolve: LookupFn = dnsLookup) {
  return (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const blocked = addresses.map((a) => isBlockedAddress(a.address, allowed)).find((reason) => reason !== null);
      if (blocked) return callback(new BlockedAddressError(`refusing to connect to ${hostname}: ${blocked}`), '', 0);
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

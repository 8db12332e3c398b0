import { detect, typeCovering } from '../../test-support/detect';

describe('MAC', () => {
  it.each(['00:1a:2b:3c:4d:5e', '00:1A:2B:3C:4D:5E', '00-1A-2B-3C-4D-5E', '001a.2b3c.4d5e'])('finds %s', (mac) => {
    expect(detect(`hwaddr ${mac} up`)).toEqual([{ type: 'MAC', value: mac }]);
  });

  it('ignores longer colon-separated hex (a WWN or fingerprint)', () => {
    expect(detect('wwn 50:01:43:80:12:34:56:78 fp aa:bb:cc:dd:ee:ff:00:11:22')).toEqual([]);
  });
});

describe('IPv6', () => {
  it.each([
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '2001:db8:85a3::8a2e:370:7334',
    '2001:db8::1',
    '::1',
    'fe80::1',
    '2001:db8::',
    'fe80::1ff:fe23:4567:890a%eth0',
    '::ffff:192.0.2.128',
    '64:ff9b::192.0.2.33',
    'FE80::C6B3:1FF:FECD:467F',
  ])('finds %s', (addr) => {
    expect(detect(`from ${addr} port 22`)).toEqual([{ type: 'IPv6', value: addr }]);
  });

  it('finds a bracketed address before its port', () => {
    expect(typeCovering('connect [2001:db8::1]:443', '2001:db8::1')).toBe('IPv6');
  });

  it('drops the port written after an unbracketed full address', () => {
    expect(detect('/0:0:0:0:0:0:0:0:2181')).toEqual([{ type: 'IPv6', value: '0:0:0:0:0:0:0:0' }]);
  });

  it.each(['std::vector<int>', 'Foo::Bar', 'IOThunderboltSwitch<0>(0x0)::listenerCallback', 'a :: b', '22:15:29:606', 'dead::beef'])(
    'ignores %s',
    (text) => expect(detect(text)).toEqual([]),
  );
});

describe('IPv4', () => {
  it.each([
    ['from 10.0.0.1 port 22', '10.0.0.1'],
    ['client 192.168.1.20:5432', '192.168.1.20'],
    ['[173.234.31.186]', '173.234.31.186'],
    ['rhost=218.188.2.4', '218.188.2.4'],
    ['net 10.128.0.0/9', '10.128.0.0'],
    ['peer 8.8.8.8.', '8.8.8.8'],
  ])('finds the address in %s', (text, addr) => {
    expect(detect(text)).toEqual([{ type: 'IPv4', value: addr }]);
  });

  it.each([
    ['a five-part version', 'build 1.2.3.4.5'],
    ['a version after the word version', 'wcp.dll version 0.0.0.6'],
    ['an out-of-range octet', '256.1.1.1 and 10.0.0.256'],
    ['an OID', 'oid 1.3.6.1.4.1.9'],
    ['a version after ~', 'Package_for_KB3121255~31bf3856ad364e35~amd64~~6.1.1.0'],
    ['a prefixed version', 'v1.2.3.4'],
  ])('ignores %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('leaves an address-like label to the host name it is part of', () => {
    const host = 'dsl-Chn-static-059.45.101.203.touchtelindia.net';
    expect(detect(`from 203.101.45.59 (${host})`)).toEqual([
      { type: 'IPv4', value: '203.101.45.59' },
      { type: 'Hostname', value: host },
    ]);
  });
});

describe('Cisco dotted MAC', () => {
  it.each([
    ['  10    0012.3456.7890    DYNAMIC     Gi1/0/3', '0012.3456.7890'],
    ['%SW_MATM-4-MACFLAP_NOTIF: Host 0050.5690.1234 in vlan 20 is flapping between port Gi1/0/1 and port Gi1/0/2', '0050.5690.1234'],
    ['Internet  10.1.1.1   -   0011.2233.4455  ARPA   Vlan10', '0011.2233.4455'],
  ])('finds a MAC of digits only in %s', (line, mac) => {
    expect(detect(line).filter((f) => f.type === 'MAC')).toEqual([{ type: 'MAC', value: mac }]);
  });

  it('does not take a part of a longer dotted number or a version', () => {
    expect(detect('oid 1.0012.3456.7890 and 0012.3456.7890.1 and version 1234.5678.9012')).toEqual([]);
  });
});

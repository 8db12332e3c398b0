import { shipperKey } from './shipper-credentials';

describe('shipperKey', () => {
  const key = 'tftsr_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd';
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  it.each([
    ['Bearer', `Bearer ${key}`],
    ['Basic with the key as password', `Basic ${b64(`promtail:${key}`)}`],
    ['Basic with an empty password', `Basic ${b64(`${key}:`)}`],
    ['ApiKey base64(id:key)', `ApiKey ${b64(`shipper-1:${key}`)}`],
    ['ApiKey with the key itself', `ApiKey ${key}`],
    ['a lower-case scheme', `bearer ${key}`],
  ])('reads the key from %s', (_, header) => {
    expect(shipperKey(header)).toBe(key);
  });

  it.each([[undefined], [''], ['Digest abc'], ['Basic !!!'], [`Basic ${b64('no-colon')}`], [`Basic ${b64(':')}`], ['Bearer']])(
    'finds no key in %j',
    (header) => {
      expect(shipperKey(header)).toBeNull();
    },
  );
});

import { cardShapeValid, ibanValid, ipv4Valid, ipv6Valid, isPlaceholder, looksLikeSecret, luhnValid, ssnValid } from './validators';

describe('luhnValid', () => {
  it.each(['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '378282246310005', '6011000990139424', '30569309025904'])(
    'accepts the test card %s',
    (card) => expect(luhnValid(card)).toBe(true),
  );

  it.each(['4111111111111112', '1234567812345678', '378282246310006'])('rejects %s, whose check digit is wrong', (n) => {
    expect(luhnValid(n)).toBe(false);
  });
});

describe('cardShapeValid', () => {
  it('accepts card lengths under a card industry digit', () => {
    expect(cardShapeValid('4111111111111111')).toBe(true);
    expect(cardShapeValid('378282246310005')).toBe(true);
    expect(cardShapeValid('2223003122003222')).toBe(true);
  });

  it('rejects epoch milliseconds and other leading digits', () => {
    expect(cardShapeValid('1445144423722')).toBe(false);
    expect(cardShapeValid('9111111111111111')).toBe(false);
    expect(cardShapeValid('411111111111')).toBe(false);
  });
});

describe('ssnValid', () => {
  it('accepts an ordinary number', () => expect(ssnValid('123456789')).toBe(true));

  it.each([
    ['000456789', 'area 000'],
    ['666456789', 'area 666'],
    ['912456789', 'area 9xx'],
    ['123006789', 'group 00'],
    ['123450000', 'serial 0000'],
  ])('rejects %s (%s)', (ssn) => expect(ssnValid(ssn)).toBe(false));
});

describe('ibanValid', () => {
  it.each(['DE89370400440532013000', 'GB82WEST12345698765432', 'NL91ABNA0417164300', 'FR1420041010050500013M02606'])('accepts %s', (iban) =>
    expect(ibanValid(iban)).toBe(true),
  );

  it('rejects a wrong check digit and a wrong length', () => {
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('DE8937040044053201300')).toBe(false);
    expect(ibanValid('ZZ89370400440532013000')).toBe(false);
  });
});

describe('ipv4Valid', () => {
  it('checks octet ranges', () => {
    expect(ipv4Valid('255.255.255.255')).toBe(true);
    expect(ipv4Valid('256.1.1.1')).toBe(false);
    expect(ipv4Valid('1.2.3')).toBe(false);
  });
});

describe('ipv6Valid', () => {
  it.each([
    '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    '2001:db8:85a3::8a2e:370:7334',
    '::1',
    '::',
    'fe80::',
    '2001:db8::',
    '::ffff:192.0.2.128',
    '64:ff9b::192.0.2.33',
    '1:2:3:4:5:6:1.2.3.4',
    '1::8',
    '1:2:3:4:5:6:7::',
  ])('accepts %s', (a) => expect(ipv6Valid(a)).toBe(true));

  it.each(['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::1', '::ffff:999.0.2.1', 'g::1', '1:2:3:4:5:6:7:1.2.3.4'])(
    'rejects %s',
    (a) => expect(ipv6Valid(a)).toBe(false),
  );
});

describe('looksLikeSecret', () => {
  it('wants length and more than one kind of character', () => {
    expect(looksLikeSecret('a8f3k2m9q7w1e5r4', 16)).toBe(true);
    expect(looksLikeSecret('abcdefghijklmnopqrst', 16)).toBe(false);
    expect(looksLikeSecret('a8f3k2m9', 16)).toBe(false);
  });
});

describe('isPlaceholder', () => {
  it.each(['********', '[REDACTED]', '<hidden>', '${DB_PASSWORD}', '$DB_PASSWORD', 'null', '{{ secret }}', 'expired'])(
    'treats %s as a placeholder',
    (v) => expect(isPlaceholder(v)).toBe(true),
  );

  it.each(['hunter2', '$ecr3tPass', 'P@ssw0rd'])('treats %s as a value', (v) => expect(isPlaceholder(v)).toBe(false));
});

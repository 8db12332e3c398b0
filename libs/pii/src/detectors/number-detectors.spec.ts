import { detect, typeCovering } from '../../test-support/detect';

describe('SSN', () => {
  it('finds a dashed number', () => {
    expect(detect('customer ssn 123-45-6789 on file')).toEqual([{ type: 'SSN', value: '123-45-6789' }]);
  });

  it.each(['000-12-3456', '666-12-3456', '912-12-3456', '123-00-4567', '123-45-0000'])('rejects %s by the SSA rules', (ssn) => {
    expect(detect(`id ${ssn}`)).toEqual([]);
  });

  it('does not take part of a longer dashed number', () => {
    expect(detect('part 1123-45-6789 and 123-45-6789-1')).toEqual([]);
  });
});

describe('CreditCard', () => {
  it.each([
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '5555555555554444',
    '378282246310005',
    '3782 822463 10005',
    '6011000990139424',
    '30569309025904',
    '3530111333300000',
    '2223003122003222',
    '4222222222222',
  ])('finds %s', (card) => {
    expect(detect(`payment with ${card} declined`)).toEqual([{ type: 'CreditCard', value: card }]);
  });

  it.each([
    ['an order number that fails Luhn', 'order 4111111111111112'],
    ['epoch milliseconds', 'ts=1445144423722'],
    ['a block id', 'blk_-4380385204018751771 blk_4380385204018751771'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['a column of figures', 'Fan speeds ( 3552 3534 3375 4530 3515 3479 )'],
    ['a decimal', 'ratio 0.4111111111111111'],
  ])('ignores %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });
});

describe('IBAN', () => {
  it.each([
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82 WEST 1234 5698 7654 32',
    'NL91ABNA0417164300',
    'FR14 2004 1010 0505 0001 3M02 606',
  ])('finds %s', (iban) => expect(detect(`transfer to ${iban} queued`)).toEqual([{ type: 'IBAN', value: iban }]));

  it('rejects a bad check digit and an unknown country', () => {
    expect(detect('DE89370400440532013001 and ZZ89370400440532013000')).toEqual([]);
  });
});

describe('Phone', () => {
  it.each([
    '+1 (555) 123-4567',
    '+44 20 7946 0958',
    '555-123-4567',
    '(555) 123-4567',
    '555.123.4567',
    '555 123 4567',
    '+1-555-123-4567',
    '1-800-555-0199',
    '+15551234567',
    '+49 30 12345678',
    '+33 1 23 45 67 89',
    '+91 98765 43210',
    '+44 (0)20 7946 0958',
  ])('finds %s', (phone) => {
    expect(detect(`call ${phone} now`)).toEqual([{ type: 'Phone', value: phone }]);
  });

  it.each([
    ['epoch seconds', 'ts=1700000000'],
    ['a bare ten-digit id', 'user_id 5551234567'],
    ['a duration', 'took 4155551234ns'],
    ['a time-zone offset', '2024-01-15T10:00:00+05:30 and +0000'],
    ['a short plus number', 'retries +1000'],
    ['a run of figures', '12 555 123 4567'],
  ])('ignores %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });

  it('includes a trunk prefix', () => {
    expect(typeCovering('dial 1 (555) 123-4567', '1 (555) 123-4567')).toBe('Phone');
  });
});

describe('IBAN candidates that are not IBANs', () => {
  it.each([
    ['a length the country does not use (DE is 22)', 'ref DE8937040044053201300 ok'],
    ['a failed mod-97 check, grouped', 'IBAN DE89 3704 0044 0532 0130 01 rejected'],
    ['a country with no IBAN', 'account US12 3456 7890 1234 5678 90'],
    ['a grouped run of figures that carries on', 'totals DE89 3704 0044 0532 0130 00 12 34'],
  ])('ignores %s', (_what, line) => {
    expect(detect(line).filter((f) => f.type === 'IBAN')).toEqual([]);
  });
});

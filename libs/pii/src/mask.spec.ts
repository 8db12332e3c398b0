import { maskValue } from './mask';

describe('maskValue', () => {
  it('keeps the shape of an email', () => {
    expect(maskValue('Email', 'john.doe@example.com')).toBe('j***@e***.com');
  });

  it('shows at most the first and last character of other values', () => {
    expect(maskValue('IPv4', '192.168.10.20')).toBe('1***0');
    expect(maskValue('Password', 'password=hunter2')).toBe('p***2');
    expect(maskValue('SSN', 'abc')).toBe('a***');
    expect(maskValue('Phone', '12')).toBe('***');
  });

  it('accepts the original as bytes and never splits a character', () => {
    expect(maskValue('Hostname', Buffer.from('ünïcødé.example.com'))).toBe('ü***m');
    expect(maskValue('Email', Buffer.from('😀x@example.com'))).toBe('😀***@e***.com');
  });
});

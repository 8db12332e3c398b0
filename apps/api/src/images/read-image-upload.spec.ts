import { DomainError, ErrorCode } from '../common/domain-error';
import { MAX_IMAGE_BYTES } from './images.dto';
import { decodeDataUrl } from './read-image-upload';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DomainError ? err.code : undefined;
  }
  return undefined;
}

describe('decodeDataUrl', () => {
  it('decodes a base64 data URL, whatever type it declares', () => {
    expect(decodeDataUrl('data:image/png;base64,aGVsbG8=')).toEqual(Buffer.from('hello'));
    expect(decodeDataUrl('DATA:image/svg+xml;charset=utf-8;base64,aGk=')).toEqual(Buffer.from('hi'));
  });

  it.each([
    ['not a data URL', 'https://example.org/a.png'],
    ['a data URL without base64', 'data:image/png,rawbytes'],
    ['characters outside base64', 'data:image/png;base64,aGVs*G8='],
    ['URL-safe base64', 'data:image/png;base64,aGV-bG8_'],
    ['line breaks', 'data:image/png;base64,aGVs\nbG8='],
    ['a length that is not a multiple of 4', 'data:image/png;base64,aGVsbG8'],
  ])('refuses %s as INVALID_UPLOAD', (_, url) => {
    expect(codeOf(() => decodeDataUrl(url))).toBe(ErrorCode.INVALID_UPLOAD);
  });

  it('refuses more than 10 MiB before decoding, and accepts exactly 10 MiB', () => {
    const exact = Buffer.alloc(MAX_IMAGE_BYTES, 1);
    expect(decodeDataUrl(`data:image/png;base64,${exact.toString('base64')}`).length).toBe(MAX_IMAGE_BYTES);
    const over = Buffer.alloc(MAX_IMAGE_BYTES + 1, 1).toString('base64');
    expect(codeOf(() => decodeDataUrl(`data:image/png;base64,${over}`))).toBe(ErrorCode.UPLOAD_TOO_LARGE);
  });
});

import { attachmentDisposition } from './content-disposition';

describe('attachmentDisposition', () => {
  it('gives a plain name as it is, twice', () => {
    expect(attachmentDisposition('screen shot.png')).toBe(`attachment; filename="screen shot.png"; filename*=UTF-8''screen%20shot.png`);
  });

  it('keeps quotes, backslashes, line breaks and non-ASCII out of the quoted name, and encodes them exactly', () => {
    const sut = attachmentDisposition('a"b\\c\r\nSet-Cookie: x=1;é(1).png');
    expect(sut).toBe(
      `attachment; filename="a_b_c__Set-Cookie: x=1;_(1).png"; filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x%3D1%3B%C3%A9%281%29.png`,
    );
    expect(sut).not.toMatch(/[\r\n]/);
  });

  it('survives a lone surrogate, which JSON can carry', () => {
    expect(attachmentDisposition('x\ud800.png')).toBe(`attachment; filename="x_.png"; filename*=UTF-8''x%EF%BF%BD.png`);
  });
});

import sharp from 'sharp';
import { sniffImage, webpIsLossless } from './image-sniff';

const solid = () => sharp({ create: { width: 4, height: 4, channels: 3, background: '#336699' } });

describe('sniffImage', () => {
  it.each([
    ['png', () => solid().png().toBuffer()],
    ['jpeg', () => solid().jpeg().toBuffer()],
    ['gif', () => solid().gif().toBuffer()],
    ['webp', () => solid().webp().toBuffer()],
  ])('recognises %s from its bytes', async (type, make) => {
    expect(sniffImage(await make())).toEqual({ type });
  });

  it('recognises a BMP only with a known header size', () => {
    const bmp = Buffer.alloc(64);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    expect(sniffImage(bmp)).toEqual({ type: 'bmp' });
    bmp.writeUInt32LE(41, 14);
    expect(sniffImage(bmp).type).toBeNull();
  });

  it.each([
    ['a plain SVG', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    [
      'an SVG with an XML declaration, BOM and doctype',
      '\ufeff  <?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg>',
    ],
  ])('refuses %s and says why', (_, text) => {
    expect(sniffImage(Buffer.from(text))).toEqual({ type: null, reason: 'SVG is refused: it can carry script' });
  });

  it.each([
    ['HTML', Buffer.from('<!doctype html><html><script>x</script>'), 'markup'],
    ['an empty file', Buffer.alloc(0), 'empty'],
    ['a PDF', Buffer.from('%PDF-1.7\n'), 'not a png, jpeg, gif, webp or bmp image'],
    ['a TIFF, which libvips would read', Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), 'not a png'],
    ['a truncated PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'not a png'],
  ])('refuses %s', (_, bytes, reason) => {
    const result = sniffImage(bytes);
    expect(result.type).toBeNull();
    expect(result.type === null && result.reason).toContain(reason);
  });
});

describe('webpIsLossless', () => {
  it('tells lossless from lossy WebP, including animated ones', async () => {
    expect(webpIsLossless(await solid().webp({ lossless: true }).toBuffer())).toBe(true);
    expect(webpIsLossless(await solid().webp({ quality: 80 }).toBuffer())).toBe(false);
    const frames = sharp(Buffer.alloc(4 * 8 * 4, 200), { raw: { width: 4, height: 8, channels: 4, pageHeight: 4 } });
    expect(webpIsLossless(await frames.clone().webp({ lossless: true, loop: 0 }).toBuffer())).toBe(true);
    expect(webpIsLossless(await frames.clone().webp({ quality: 70, loop: 0 }).toBuffer())).toBe(false);
  });

  it('stops at a chunk size that runs past the end', () => {
    const bytes = Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1'), Buffer.from([0xff, 0xff, 0xff, 0x7f])]);
    expect(webpIsLossless(bytes)).toBe(false);
  });
});

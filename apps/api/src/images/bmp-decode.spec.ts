import { BmpError, decodeBmp } from './bmp-decode';

interface BmpSpec {
  width: number;
  height: number;
  bpp: number;
  /** Packed rows as the file holds them, top row first; each is padded to 4 bytes here. */
  rows: number[][];
  topDown?: boolean;
  compression?: number;
  headerSize?: number;
  palette?: [number, number, number][];
  masks?: number[];
  trailing?: Buffer;
}

/** A BMP as Windows writes it: file header, info header, masks, palette, rows (bottom-up unless topDown). */
function bmp(spec: BmpSpec): Buffer {
  const headerSize = spec.headerSize ?? 40;
  const masks = spec.masks ? Buffer.concat(spec.masks.map((m) => u32(m))) : Buffer.alloc(0);
  const palette = Buffer.concat((spec.palette ?? []).map(([r, g, b]) => Buffer.from([b, g, r, 0])));
  const stride = Math.floor((spec.bpp * spec.width + 31) / 32) * 4;
  const rows = spec.rows.map((row) => Buffer.concat([Buffer.from(row), Buffer.alloc(stride - row.length)]));
  const pixels = Buffer.concat(spec.topDown ? rows : [...rows].reverse());
  const offset = 14 + headerSize + masks.length + palette.length;
  const file = Buffer.alloc(14);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(offset + pixels.length, 2);
  file.writeUInt32LE(offset, 10);
  const info = Buffer.alloc(headerSize);
  info.writeUInt32LE(headerSize, 0);
  info.writeInt32LE(spec.width, 4);
  info.writeInt32LE(spec.topDown ? -spec.height : spec.height, 8);
  info.writeUInt16LE(1, 12);
  info.writeUInt16LE(spec.bpp, 14);
  info.writeUInt32LE(spec.compression ?? 0, 16);
  info.writeUInt32LE(spec.palette?.length ?? 0, 32);
  return Buffer.concat([file, info, masks, palette, pixels, spec.trailing ?? Buffer.alloc(0)]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

const rgba = (image: { pixels: Buffer }) => [...image.pixels];

describe('decodeBmp', () => {
  it('reads 24-bit bottom-up rows as RGBA, top row first, ignoring bytes after the pixels', () => {
    const sut = decodeBmp(
      bmp({
        width: 2,
        height: 2,
        bpp: 24,
        rows: [
          [0, 0, 255, 0, 255, 0],
          [255, 0, 0, 255, 255, 255],
        ],
        trailing: Buffer.from('<html>payload'),
      }),
      100,
    );
    expect([sut.width, sut.height]).toEqual([2, 2]);
    expect(rgba(sut)).toEqual([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
  });

  it('reads 32-bit top-down rows, and treats an all-zero alpha byte as opaque', () => {
    const sut = decodeBmp(
      bmp({
        width: 1,
        height: 2,
        bpp: 32,
        topDown: true,
        rows: [
          [1, 2, 3, 0],
          [4, 5, 6, 0],
        ],
      }),
      100,
    );
    expect(rgba(sut)).toEqual([3, 2, 1, 255, 6, 5, 4, 255]);
  });

  it('keeps a real alpha channel in 32-bit pixels', () => {
    const sut = decodeBmp(bmp({ width: 2, height: 1, bpp: 32, rows: [[1, 2, 3, 128, 4, 5, 6, 0]] }), 100);
    expect(rgba(sut)).toEqual([3, 2, 1, 128, 6, 5, 4, 0]);
  });

  it('reads 8-, 4- and 1-bit palette images', () => {
    const palette: [number, number, number][] = [
      [0, 0, 0],
      [255, 255, 255],
      [255, 0, 0],
    ];
    expect(rgba(decodeBmp(bmp({ width: 3, height: 1, bpp: 8, rows: [[2, 1, 0]], palette }), 100))).toEqual([
      255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
    expect(rgba(decodeBmp(bmp({ width: 3, height: 1, bpp: 4, rows: [[0x21, 0x00]], palette }), 100))).toEqual([
      255, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255,
    ]);
    expect(rgba(decodeBmp(bmp({ width: 3, height: 1, bpp: 1, rows: [[0b10100000]], palette: palette.slice(0, 2) }), 100))).toEqual([
      255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255,
    ]);
  });

  it('reads 16-bit pixels as 5-5-5 by default and by their bitfield masks otherwise (5-6-5)', () => {
    expect(rgba(decodeBmp(bmp({ width: 1, height: 1, bpp: 16, rows: [[0x00, 0x7c]] }), 100))).toEqual([255, 0, 0, 255]);
    const green565 = bmp({ width: 1, height: 1, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], rows: [[0xe0, 0x07]] });
    expect(rgba(decodeBmp(green565, 100))).toEqual([0, 255, 0, 255]);
  });

  it('refuses a palette index beyond the palette', () => {
    expect(() => decodeBmp(bmp({ width: 1, height: 1, bpp: 8, rows: [[5]], palette: [[0, 0, 0]] }), 100)).toThrow(/beyond its palette/);
  });

  it.each([
    ['run-length compression', { compression: 1 }, 'unsupported', /RLE/],
    ['more pixels than the limit', { width: 20, height: 20, rows: [] }, 'too_large', /400 pixels/],
    ['truncated pixel data', { rows: [[1, 2, 3]], height: 5 }, 'malformed', /truncated/],
    ['an impossible bit depth', { bpp: 7 }, 'malformed', /bits per pixel/],
    ['a zero width', { width: 0, rows: [[]] }, 'malformed', /dimensions/],
  ])('refuses %s', (_, overrides, kind, message) => {
    const bytes = bmp({ width: 1, height: 1, bpp: 24, rows: [[1, 2, 3]], ...overrides });
    let error: unknown;
    try {
      decodeBmp(bytes, 100);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BmpError);
    expect([(error as BmpError).kind, (error as BmpError).message]).toEqual([kind, expect.stringMatching(message)]);
  });
});

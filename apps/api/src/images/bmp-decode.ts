/** Why a BMP cannot be read; the message is the client's, so it names what to do instead. */
export class BmpError extends Error {
  constructor(
    message: string,
    /** malformed: a broken file; unsupported: valid, but a kind not decoded here; too_large: over the pixel limit. */
    readonly kind: 'malformed' | 'unsupported' | 'too_large' = 'malformed',
  ) {
    super(message);
    this.name = 'BmpError';
  }
}

export interface RawImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, rows top to bottom. */
  pixels: Buffer;
}

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;
const FILE_HEADER = 14;

interface Mask {
  mask: number;
  shift: number;
  max: number;
}

/**
 * Decodes the uncompressed BMPs that screenshot tools write (1, 4, 8, 16, 24 and 32 bits, BI_RGB or bitfields)
 * to RGBA. Only pixels come out: gaps, trailing bytes and a V5 header's ICC profile are left behind. Run-length
 * and embedded JPEG/PNG BMPs are refused. `maxPixels` is checked before anything is allocated.
 */
export function decodeBmp(bytes: Buffer, maxPixels: number): RawImage {
  if (bytes.length < FILE_HEADER + 12 || bytes.toString('latin1', 0, 2) !== 'BM') throw new BmpError('not a BMP file');
  const pixelOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(FILE_HEADER);
  if (headerSize !== 12 && headerSize < 40) throw new BmpError(`a BMP header of ${headerSize} bytes is not valid`);
  if (bytes.length < FILE_HEADER + headerSize) throw new BmpError('the BMP header is truncated');
  const core = headerSize === 12;
  const width = core ? bytes.readUInt16LE(18) : bytes.readInt32LE(18);
  const rawHeight = core ? bytes.readInt16LE(20) : bytes.readInt32LE(22);
  const bpp = bytes.readUInt16LE(core ? 24 : 28);
  const compression = core ? BI_RGB : bytes.readUInt32LE(30);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw new BmpError(`the BMP has impossible dimensions ${width}x${rawHeight}`);
  if (width * height > maxPixels) throw new BmpError(`the image has ${width * height} pixels; the limit is ${maxPixels}`, 'too_large');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new BmpError('compressed BMP (RLE, JPEG or PNG inside) is not accepted; save the image as PNG', 'unsupported');
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`a BMP with ${bpp} bits per pixel is not valid`);

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (pixelOffset < FILE_HEADER + headerSize || pixelOffset + stride * height > bytes.length) {
    throw new BmpError('the BMP pixel data is truncated or misplaced');
  }
  const palette = bpp <= 8 ? readPalette(bytes, headerSize, bpp, pixelOffset) : null;
  const masks = bpp === 16 || bpp === 32 ? readMasks(bytes, headerSize, compression, bpp) : null;
  const pixels = Buffer.alloc(width * height * 4);
  let anyAlpha = false;

  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * 4;
      if (palette) {
        const bitOffset = x * bpp;
        const byte = bytes[row + (bitOffset >> 3)];
        const index = (byte >> (8 - bpp - (bitOffset & 7))) & ((1 << bpp) - 1);
        if (index >= palette.length / 4) throw new BmpError(`the BMP uses colour ${index}, beyond its palette`);
        palette.copy(pixels, out, index * 4, index * 4 + 4);
      } else if (bpp === 24) {
        const at = row + x * 3;
        pixels[out] = bytes[at + 2];
        pixels[out + 1] = bytes[at + 1];
        pixels[out + 2] = bytes[at];
        pixels[out + 3] = 255;
      } else {
        const value = bpp === 16 ? bytes.readUInt16LE(row + x * 2) : bytes.readUInt32LE(row + x * 4);
        const [r, g, b, a] = masks as Mask[];
        pixels[out] = channel(value, r);
        pixels[out + 1] = channel(value, g);
        pixels[out + 2] = channel(value, b);
        pixels[out + 3] = a.mask === 0 ? 255 : channel(value, a);
        if (a.mask !== 0 && pixels[out + 3] !== 0) anyAlpha = true;
      }
    }
  }
  // Many writers leave the alpha byte of 32-bit pixels at 0 and mean "opaque": an all-zero alpha is no alpha.
  if (masks && masks[3].mask !== 0 && !anyAlpha) for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
  return { width, height, pixels };
}

/** The palette as RGBA quads; BITMAPCOREHEADER files have 3-byte entries. */
function readPalette(bytes: Buffer, headerSize: number, bpp: number, pixelOffset: number): Buffer {
  const core = headerSize === 12;
  const entrySize = core ? 3 : 4;
  const used = core ? 0 : bytes.readUInt32LE(46);
  const count = used === 0 || used > 1 << bpp ? 1 << bpp : used;
  const start = FILE_HEADER + headerSize;
  const available = Math.floor((pixelOffset - start) / entrySize);
  const entries = Math.min(count, available);
  if (entries <= 0) throw new BmpError('the BMP has no palette');
  const palette = Buffer.alloc(entries * 4);
  for (let i = 0; i < entries; i++) {
    const at = start + i * entrySize;
    palette[i * 4] = bytes[at + 2];
    palette[i * 4 + 1] = bytes[at + 1];
    palette[i * 4 + 2] = bytes[at];
    palette[i * 4 + 3] = 255;
  }
  return palette;
}

/** Red, green, blue and alpha masks: from the header (V2 and later), after a 40-byte header, or the defaults. */
function readMasks(bytes: Buffer, headerSize: number, compression: number, bpp: number): Mask[] {
  let values: number[];
  if (compression === BI_RGB) {
    // The alpha of BI_RGB 32-bit pixels is undefined; it is read, and ignored when it is all zero.
    values = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000];
  } else {
    const at = FILE_HEADER + 40;
    const hasAlpha = headerSize >= 56 || compression === BI_ALPHABITFIELDS;
    const needed = at + (hasAlpha ? 16 : 12);
    if (bytes.length < needed) throw new BmpError('the BMP bitfield masks are truncated');
    values = [bytes.readUInt32LE(at), bytes.readUInt32LE(at + 4), bytes.readUInt32LE(at + 8), hasAlpha ? bytes.readUInt32LE(at + 12) : 0];
  }
  return values.map(toMask);
}

function toMask(mask: number): Mask {
  if (mask === 0) return { mask: 0, shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  if ((max & (max + 1)) !== 0) throw new BmpError('the BMP bitfield masks are not contiguous');
  return { mask, shift, max };
}

function channel(value: number, { mask, shift, max }: Mask): number {
  if (mask === 0) return 0;
  return Math.round((((value & mask) >>> shift) * 255) / max);
}

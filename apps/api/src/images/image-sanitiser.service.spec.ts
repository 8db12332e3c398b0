import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ImageSanitiser, MAX_IMAGE_PIXELS } from './image-sanitiser.service';

// Real sharp and libvips throughout: the point is what really comes out.
const CANARY = 'CANARY-Jane-Doe-51.5N';
const GPS_IFD_POINTER = [Buffer.from([0x88, 0x25]), Buffer.from([0x25, 0x88])];
const EXIF = {
  IFD0: { Artist: CANARY, Copyright: CANARY, ImageDescription: CANARY },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 1234/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
};
const XMP = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description>${CANARY}</rdf:Description></rdf:RDF></x:xmpmeta>`;

function noise(width: number, height: number) {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
}

/** Proves the fixture carries what the test says it does, so a passing test means something. */
async function expectCarriesMetadata(bytes: Buffer): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect(meta.exif).toBeDefined();
  expect(GPS_IFD_POINTER.some((p) => meta.exif!.includes(p))).toBe(true);
  expect(bytes.includes(CANARY)).toBe(true);
}

async function expectClean(bytes: Buffer): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect({ exif: meta.exif, xmp: meta.xmp, icc: meta.icc, iptc: meta.iptc, comments: meta.comments }).toEqual({
    exif: undefined,
    xmp: undefined,
    icc: undefined,
    iptc: undefined,
    comments: undefined,
  });
  expect(bytes.includes(CANARY)).toBe(false);
  expect(bytes.includes('Exif\0\0')).toBe(false);
}

async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('ImageSanitiser', () => {
  const sut = new ImageSanitiser();

  it('removes EXIF with GPS, XMP and the ICC profile from a JPEG, and turns the pixels as EXIF said', async () => {
    // Orientation 6: the camera was turned; the stored pixels must stand up without the tag.
    const rotated = await noise(40, 20).withExif(EXIF).withMetadata({ orientation: 6 }).withXmp(XMP).withIccProfile('p3').jpeg().toBuffer();
    await expectCarriesMetadata(rotated);
    expect((await sharp(rotated).metadata()).orientation).toBe(6);
    const out = await sut.clean(rotated, 'jpeg');
    expect(out.type).toBe('jpeg');
    await expectClean(out.bytes);
    const meta = await sharp(out.bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual(['jpeg', 20, 40, undefined]);
  });

  it('removes eXIf, tEXt and iTXt (XMP) chunks from a PNG, and whatever follows IEND', async () => {
    const withExif = await noise(16, 16).withExif(EXIF).png().toBuffer();
    await expectCarriesMetadata(withExif);
    const input = Buffer.concat([
      insertPngChunks(withExif, [pngChunk('tEXt', `Author\0${CANARY}`), pngChunk('iTXt', `XML:com.adobe.xmp\0\0\0\0\0${XMP}`)]),
      Buffer.from(`<script>${CANARY}</script>`),
    ]);
    expect((await sharp(input).metadata()).comments).toEqual([{ keyword: 'Author', text: CANARY }]);
    const out = await sut.clean(input, 'png');
    await expectClean(out.bytes);
    // Lossless: the pixels are exactly the same.
    expect(await sharp(out.bytes).raw().toBuffer()).toEqual(await sharp(input).raw().toBuffer());
  });

  it('removes EXIF and XMP from a WebP, keeping a lossless one lossless', async () => {
    const input = await noise(16, 16).withExif(EXIF).withXmp(XMP).webp({ lossless: true }).toBuffer();
    await expectCarriesMetadata(input);
    const out = await sut.clean(input, 'webp');
    await expectClean(out.bytes);
    expect(out.bytes.includes('VP8L')).toBe(true);
    expect(await sharp(out.bytes).raw().toBuffer()).toEqual(await sharp(input).raw().toBuffer());
  });

  it('removes comment and application (XMP) extensions from a GIF and keeps its animation', async () => {
    const frames = await sharp(randomBytes(8 * 24 * 4), { raw: { width: 8, height: 24, channels: 4, pageHeight: 8 } })
      .gif({ loop: 3, delay: [100, 200, 300] })
      .toBuffer();
    const input = insertGifExtensions(frames, [
      gifExtension(0xfe, Buffer.from(CANARY)),
      gifExtension(0xff, Buffer.concat([Buffer.from('XMP DataXMP'), Buffer.from(XMP)])),
    ]);
    expect(input.includes(CANARY)).toBe(true);
    const out = await sut.clean(input, 'gif');
    expect(out.bytes.includes(CANARY)).toBe(false);
    const meta = await sharp(out.bytes, { animated: true }).metadata();
    expect([meta.pages, meta.loop, meta.delay]).toEqual([3, 3, [100, 200, 300]]);
  });

  it('stores a BMP as PNG with the same pixels', async () => {
    const bmp = Buffer.alloc(14 + 40 + 8);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(2, 18);
    bmp.writeInt32LE(1, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    Buffer.from([0, 0, 255, 255, 0, 0, 0, 0]).copy(bmp, 54);
    const out = await sut.clean(bmp, 'bmp');
    expect(out.type).toBe('png');
    expect([...(await sharp(out.bytes).raw().toBuffer())]).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
  });

  it('refuses a decompression bomb (more pixels than the limit) as too large', async () => {
    const bomb = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const error = await domainError(sut.clean(bomb, 'png'));
    expect([error.code, error.details]).toEqual([ErrorCode.UPLOAD_TOO_LARGE, { max_pixels: MAX_IMAGE_PIXELS }]);
  });

  it.each([
    ['a truncated PNG', async () => (await noise(32, 32).png().toBuffer()).subarray(0, 200), 'png'],
    ['a JPEG header followed by garbage', async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(500)]), 'jpeg'],
    ['a GIF header followed by script', async () => Buffer.from('GIF89a<script>alert(1)</script>'), 'gif'],
  ] as const)('refuses %s as an invalid upload', async (_, make, type) => {
    const error = await domainError(sut.clean(await make(), type));
    expect(error.code).toBe(ErrorCode.INVALID_UPLOAD);
    expect(error.message).toMatch(new RegExp(`^the ${type} image is corrupt or truncated`));
  });

  it('refuses bytes that libvips reads as another format than the one sniffed (SVG never reaches its renderer)', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><script>alert(1)</script></svg>');
    const error = await domainError(sut.clean(svg, 'png'));
    expect(error.code).toBe(ErrorCode.UNSUPPORTED_FILE_TYPE);
  });

  it('re-encodes many images at once (two at a time) without losing any', async () => {
    const inputs = await Promise.all(Array.from({ length: 6 }, () => noise(24, 24).png().toBuffer()));
    const outs = await Promise.all(inputs.map((input) => sut.clean(input, 'png')));
    expect(outs.map((o) => o.type)).toEqual(Array(6).fill('png'));
  });
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: string): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data, 'latin1')]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** After the signature (8) and IHDR (25). */
function insertPngChunks(png: Buffer, chunks: Buffer[]): Buffer {
  return Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
}

function gifExtension(label: number, data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 255) {
    const part = data.subarray(at, at + 255);
    blocks.push(Buffer.from([part.length]), part);
  }
  return Buffer.concat([Buffer.from([0x21, label]), ...blocks, Buffer.from([0])]);
}

/** After the header (6), the logical screen descriptor (7) and the global colour table. */
function insertGifExtensions(gif: Buffer, extensions: Buffer[]): Buffer {
  const packed = gif[10];
  const table = packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0;
  const at = 13 + table;
  return Buffer.concat([gif.subarray(0, at), ...extensions, gif.subarray(at)]);
}

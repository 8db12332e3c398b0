/** The image types accepted, named as they are stored. SVG is not one: it is a document that can carry script. */
export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

export const ACCEPTED_IMAGE_TYPES: readonly ImageType[] = ['png', 'jpeg', 'gif', 'webp', 'bmp'];

export const MIME_TYPES: { readonly [T in ImageType]: string } = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

export const EXTENSIONS: { readonly [T in ImageType]: readonly string[] } = {
  png: ['png'],
  jpeg: ['jpg', 'jpeg', 'jpe'],
  gif: ['gif'],
  webp: ['webp'],
  bmp: ['bmp', 'dib'],
};

export type SniffResult = { type: ImageType } | { type: null; reason: string };

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const BMP_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);
const XML_LIKE = /^(?:\ufeff)?\s*</;
const SVG_TAG = /<svg[\s>/]/i;

/** What the bytes are, from their signature alone: the name and the client's declared type prove nothing. */
export function sniffImage(bytes: Buffer): SniffResult {
  if (startsWith(bytes, PNG)) return { type: 'png' };
  if (startsWith(bytes, JPEG)) return { type: 'jpeg' };
  const ascii = bytes.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('GIF87a') || ascii.startsWith('GIF89a')) return { type: 'gif' };
  if (ascii.startsWith('RIFF') && ascii.slice(8, 12) === 'WEBP') return { type: 'webp' };
  if (ascii.startsWith('BM') && bytes.length >= 18 && BMP_HEADER_SIZES.has(bytes.readUInt32LE(14))) return { type: 'bmp' };
  return { type: null, reason: notAnImageReason(bytes) };
}

function notAnImageReason(bytes: Buffer): string {
  if (bytes.length === 0) return 'the file is empty';
  const head = bytes.subarray(0, 4096).toString('utf8');
  if (XML_LIKE.test(head)) {
    return SVG_TAG.test(head) ? 'SVG is refused: it can carry script' : 'the content is markup (XML or HTML), not an image';
  }
  return 'the content is not a png, jpeg, gif, webp or bmp image';
}

/**
 * Whether a WebP holds lossless (VP8L) data, so that re-encoding keeps it lossless. Walks the RIFF chunks, and
 * the frames of an animation; any lossless frame makes the whole output lossless.
 */
export function webpIsLossless(bytes: Buffer): boolean {
  const walk = (from: number, to: number): boolean => {
    let at = from;
    while (at + 8 <= to) {
      const fourcc = bytes.toString('latin1', at, at + 4);
      const size = bytes.readUInt32LE(at + 4);
      if (fourcc === 'VP8L') return true;
      // An ANMF frame's own chunks start after its 16-byte frame header.
      if (fourcc === 'ANMF' && walk(at + 8 + 16, Math.min(to, at + 8 + size))) return true;
      at += 8 + size + (size % 2);
    }
    return false;
  };
  return bytes.length >= 12 && walk(12, bytes.length);
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

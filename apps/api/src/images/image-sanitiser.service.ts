import { Injectable } from '@nestjs/common';
import sharp from 'sharp';
import { DomainError, ErrorCode } from '../common/domain-error';
import { BmpError, decodeBmp } from './bmp-decode';
import { ACCEPTED_IMAGE_TYPES, ImageType, MIME_TYPES, webpIsLossless } from './image-sniff';

const ACCEPTED = { accepted_types: ACCEPTED_IMAGE_TYPES.map((t) => MIME_TYPES[t]) };

/** 8K (33 MP) screenshots and 48 MP phone photos fit; a decompression bomb does not. RGBA at the limit is 200 MB. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Re-encodes held at once: each may hold a decoded image in memory. */
const MAX_CONCURRENT = 2;
const TIMEOUT_SECONDS = 30;
const LOSSY_QUALITY = 92;

// Every image is new: libvips' operation cache would only hold decoded pixels of uploads already done.
sharp.cache(false);

export type StoredImageType = Exclude<ImageType, 'bmp'>;

export interface CleanImage {
  bytes: Buffer;
  /** What is stored; a BMP is stored as PNG. */
  type: StoredImageType;
}

/**
 * Removes EXIF, XMP, IPTC, ICC, comments and anything after the image by decoding it and encoding the pixels
 * again (sharp drops all metadata unless asked to keep it). The EXIF orientation is applied to the pixels first,
 * so that photos still stand up. Re-encoding also defuses polyglots: only the pixels survive.
 * PNG, GIF and lossless WebP stay lossless; JPEG and lossy WebP are re-encoded at quality 92.
 */
@Injectable()
export class ImageSanitiser {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  async clean(bytes: Buffer, type: ImageType): Promise<CleanImage> {
    await this.acquire();
    try {
      return type === 'bmp' ? await this.bmpToPng(bytes) : await this.reencode(bytes, type);
    } finally {
      this.release();
    }
  }

  private async reencode(bytes: Buffer, type: StoredImageType): Promise<CleanImage> {
    // failOn 'error': real files often carry harmless warnings (extraneous bytes); a truncated file still fails.
    const input = () =>
      sharp(bytes, { animated: type === 'gif' || type === 'webp', limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error', autoOrient: true });
    try {
      const meta = await input().metadata();
      // libvips picks its decoder from the bytes too; it must agree with ours, or SVG, PDF, TIFF... could slip in.
      if (meta.format !== type) throw new DomainError(ErrorCode.UNSUPPORTED_FILE_TYPE, `the content is not a ${type} image`, ACCEPTED);
      const image = input().timeout({ seconds: TIMEOUT_SECONDS });
      const encoded =
        type === 'png'
          ? image.png()
          : type === 'jpeg'
            ? image.jpeg({ quality: LOSSY_QUALITY, chromaSubsampling: meta.chromaSubsampling === '4:4:4' ? '4:4:4' : '4:2:0' })
            : type === 'webp'
              ? image.webp(webpIsLossless(bytes) ? { lossless: true } : { quality: LOSSY_QUALITY })
              : image.gif();
      return { bytes: await encoded.toBuffer(), type };
    } catch (err) {
      throw asImageError(err, type);
    }
  }

  private async bmpToPng(bytes: Buffer): Promise<CleanImage> {
    let raw;
    try {
      raw = decodeBmp(bytes, MAX_IMAGE_PIXELS);
    } catch (err) {
      if (!(err instanceof BmpError)) throw err;
      if (err.kind === 'too_large') throw tooManyPixels(err.message);
      throw new DomainError(
        err.kind === 'unsupported' ? ErrorCode.UNSUPPORTED_FILE_TYPE : ErrorCode.INVALID_UPLOAD,
        `the bmp image cannot be read: ${err.message}`,
        ACCEPTED,
      );
    }
    const png = await sharp(raw.pixels, { raw: { width: raw.width, height: raw.height, channels: 4 }, limitInputPixels: MAX_IMAGE_PIXELS })
      .png()
      .toBuffer();
    return { bytes: png, type: 'png' };
  }

  private async acquire(): Promise<void> {
    if (this.running < MAX_CONCURRENT) {
      this.running += 1;
      return;
    }
    // The slot is handed over by release(), so running stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}

function tooManyPixels(message: string): DomainError {
  return new DomainError(ErrorCode.UPLOAD_TOO_LARGE, `the image is too large: ${message}`, { max_pixels: MAX_IMAGE_PIXELS });
}

/** libvips' complaints are about the client's file: a 4xx with its first line, never a 500. */
function asImageError(err: unknown, type: string): unknown {
  if (err instanceof DomainError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (/pixel limit/i.test(message)) return tooManyPixels(`it has more than ${MAX_IMAGE_PIXELS} pixels`);
  if (/timeout/i.test(message))
    return new DomainError(ErrorCode.INVALID_UPLOAD, `the ${type} image took more than ${TIMEOUT_SECONDS} s to process`);
  return new DomainError(ErrorCode.INVALID_UPLOAD, `the ${type} image is corrupt or truncated: ${message.split('\n')[0]}`);
}

import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { newId, toDbTimestamp } from '@tftsr/db';
import { failure, useTestApi } from '../support/api-harness';
import { factory } from '../support/factory';

const MiB = 1024 * 1024;
const CANARY = 'CANARY-Jane-Doe-at-51.5N';
const EXIF = {
  IFD0: { Artist: CANARY, ImageDescription: CANARY },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 1234/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
};
const SVG =
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><script>alert(document.cookie)</script></svg>';
const UNKNOWN_ID = '0190b6c4-1a2b-7c3d-8e4f-0123456789ab';

/** Noise, so that every image (and its compressed bytes) is unique and greppable. */
const noise = (width: number, height: number) => sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
const pngWithGps = () => noise(48, 32).withExif(EXIF).png().toBuffer();
const jpegWithGps = () => noise(48, 32).withExif(EXIF).withMetadata({ orientation: 6 }).jpeg().toBuffer();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const dataUrl = (bytes: Buffer, type = 'image/png') => `data:${type};base64,${bytes.toString('base64')}`;

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A 24-bit BMP, bottom-up rows, with bytes after the pixels that must not survive. */
function bmp24(width: number, height: number, trailing = ''): Buffer {
  const stride = Math.floor((24 * width + 31) / 32) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + stride * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  return Buffer.concat([header, randomBytes(stride * height), Buffer.from(trailing)]);
}

describe('image attachments', () => {
  const api = useTestApi('images');
  let issueId: string;
  const blobs = () => filesUnder(join(api.dataDir, 'blobs')).sort();
  const newIssue = async () => (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id as string;
  const form = (
    name: string,
    content: Buffer | string,
    fields: Record<string, string> = { pii_warning_acknowledged: 'true' },
    field = 'file',
  ) => {
    const body = new FormData();
    for (const [key, value] of Object.entries(fields)) body.append(key, value);
    body.append(field, new Blob([content]), name);
    return body;
  };
  const upload = (name: string, content: Buffer | string, fields?: Record<string, string>, issue = issueId) =>
    api.call('POST', `/v1/issues/${issue}/images`, { rawBody: form(name, content, fields) });
  const paste = (body: Record<string, unknown>, issue = issueId) => api.call('POST', `/v1/issues/${issue}/images`, { body });
  /** The content route answers with image bytes, which the harness would parse as JSON: fetched here, checked the same way. */
  const download = async (id: string) => {
    const path = `/v1/images/${id}/content`;
    const response = await fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${api.adminKey}` } });
    const bytes = Buffer.from(await response.arrayBuffer());
    const json = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : null;
    expect(api.openapi.check('GET', path, response.status, json, response.headers)).toEqual([]);
    return { status: response.status, headers: response.headers, bytes, json };
  };
  const auditFor = (id: string) =>
    (
      api.db.prepare('SELECT action, user_id, details FROM audit_log WHERE entity_id = ? ORDER BY rowid').all(id) as {
        action: string;
        user_id: string;
        details: string;
      }[]
    ).map((r) => ({ ...r, details: JSON.parse(r.details) }));
  const row = (id: string) => api.db.prepare('SELECT * FROM image_attachments WHERE id = ?').get(id) as Record<string, unknown> | undefined;

  beforeAll(async () => {
    issueId = await newIssue();
  });

  describe('uploading', () => {
    it('stores a multipart PNG with 201, hashes the bytes as received, and audits it without content', async () => {
      const png = await pngWithGps();
      const { status, body } = await upload('screen.png', png);
      expect(status).toBe(201);
      expect(body).toMatchObject({
        issue_id: issueId,
        file_name: 'screen.png',
        mime_type: 'image/png',
        upload_hash: sha256(png),
        pii_warning_acknowledged: true,
        is_paste: false,
      });
      expect(row(body.id)).toMatchObject({
        file_path: expect.stringMatching(/^blobs\/[0-9a-f]{2}\/[0-9a-f-]{36}\.blob$/),
        file_size: body.file_size,
        pii_warning_acknowledged: 1,
      });
      expect(auditFor(body.id)).toEqual([
        {
          action: 'upload_image_attachment',
          user_id: expect.any(String),
          details: { issue_id: issueId, upload_hash: sha256(png), file_size: body.file_size, mime_type: 'image/png', is_paste: false },
        },
      ]);
      const detail = await api.call('GET', `/v1/issues/${issueId}`);
      expect(detail.body.image_attachments).toContainEqual(body);
      expect((await api.call('GET', `/v1/images/${body.id}`)).body).toEqual(body);
    });

    it('serves the image as an attachment, with nosniff, without its EXIF or GPS data', async () => {
      const png = await pngWithGps();
      expect(png.includes(CANARY)).toBe(true);
      const { body } = await upload('gps.png', png);
      const served = await download(body.id);
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('content-disposition')).toBe(`attachment; filename="gps.png"; filename*=UTF-8''gps.png`);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.bytes.length).toBe(body.file_size);
      expect(served.bytes.includes(CANARY)).toBe(false);
      const meta = await sharp(served.bytes).metadata();
      expect([meta.format, meta.width, meta.height, meta.exif, meta.xmp]).toEqual(['png', 48, 32, undefined, undefined]);
      // PNG is lossless: the pixels are the ones sent.
      expect(await sharp(served.bytes).raw().toBuffer()).toEqual(await sharp(png).raw().toBuffer());
    });

    it('takes a pasted screenshot as a JSON data URL: is_paste, its own audit action, EXIF gone and orientation applied', async () => {
      const jpeg = await jpegWithGps();
      const { status, body } = await paste({ data_url: dataUrl(jpeg, 'image/jpeg'), is_paste: true, pii_warning_acknowledged: true });
      expect(status).toBe(201);
      expect(body).toMatchObject({
        mime_type: 'image/jpeg',
        is_paste: true,
        upload_hash: sha256(jpeg),
        file_name: `pasted-image-${body.id}.jpg`,
      });
      expect(auditFor(body.id).map((e) => [e.action, e.details.is_paste])).toEqual([['upload_paste_image', true]]);
      const served = await download(body.id);
      const meta = await sharp(served.bytes).metadata();
      expect([meta.format, meta.width, meta.height, meta.exif, meta.orientation]).toEqual(['jpeg', 32, 48, undefined, undefined]);
      expect(served.bytes.includes(CANARY)).toBe(false);
    });

    it('takes GIF (keeping its animation) and WebP, and stores a BMP as PNG under a .png name', async () => {
      const gif = await sharp(randomBytes(8 * 24 * 4), { raw: { width: 8, height: 24, channels: 4, pageHeight: 8 } })
        .gif({ loop: 0, delay: [50, 60, 70] })
        .toBuffer();
      const gifUp = await upload('anim.gif', gif);
      expect([gifUp.status, gifUp.body.mime_type]).toEqual([201, 'image/gif']);
      const gifMeta = await sharp((await download(gifUp.body.id)).bytes, { animated: true }).metadata();
      expect([gifMeta.pages, gifMeta.delay]).toEqual([3, [50, 60, 70]]);

      const webp = await noise(16, 16).withExif(EXIF).webp({ lossless: true }).toBuffer();
      const webpUp = await paste({
        data_url: dataUrl(webp, 'image/webp'),
        pii_warning_acknowledged: true,
        is_paste: false,
        file_name: 'clip.webp',
      });
      expect([webpUp.status, webpUp.body.mime_type, webpUp.body.is_paste, webpUp.body.file_name]).toEqual([
        201,
        'image/webp',
        false,
        'clip.webp',
      ]);
      expect(auditFor(webpUp.body.id)[0].action).toBe('upload_image_attachment');
      expect((await download(webpUp.body.id)).bytes.includes(CANARY)).toBe(false);

      const bmp = bmp24(5, 3, `<script>${CANARY}</script>`);
      const bmpUp = await upload('old.bmp', bmp);
      expect([bmpUp.status, bmpUp.body.mime_type, bmpUp.body.file_name, bmpUp.body.upload_hash]).toEqual([
        201,
        'image/png',
        'old.png',
        sha256(bmp),
      ]);
      const served = await download(bmpUp.body.id);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.bytes.includes(CANARY)).toBe(false);
      expect(
        await sharp(served.bytes)
          .metadata()
          .then((m) => [m.format, m.width, m.height]),
      ).toEqual(['png', 5, 3]);
    });

    it('names the file after what it is: a JPEG sent as .png is stored as .jpg', async () => {
      const { body } = await upload('photo.png', await noise(8, 8).jpeg().toBuffer());
      expect([body.mime_type, body.file_name]).toEqual(['image/jpeg', 'photo.jpg']);
    });

    it('answers the same image uploaded twice to one issue with the existing row (200), by multipart or by paste', async () => {
      const png = await pngWithGps();
      const first = await upload('once.png', png);
      const before = blobs();
      const again = await upload('twice.png', png);
      const pasted = await paste({ data_url: dataUrl(png), pii_warning_acknowledged: true });
      expect([first.status, again.status, pasted.status]).toEqual([201, 200, 200]);
      expect(again.body).toEqual(first.body);
      expect(pasted.body).toEqual(first.body);
      expect(blobs()).toEqual(before);
      expect(auditFor(first.body.id).map((e) => e.action)).toEqual(['upload_image_attachment']);
      const elsewhere = await upload('once.png', png, undefined, await newIssue());
      expect([elsewhere.status, elsewhere.body.id === first.body.id]).toEqual([201, false]);
    });

    it('deduplicates concurrent uploads of the same image to one row and one blob', async () => {
      const issue = await newIssue();
      const png = await noise(64, 64).png().toBuffer();
      const before = blobs().length;
      const results = await Promise.all(Array.from({ length: 4 }, () => upload('race.png', png, undefined, issue)));
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(blobs().length).toBe(before + 1);
      expect((await api.call('GET', `/v1/issues/${issue}`)).body.image_attachments).toHaveLength(1);
    });

    it('keeps path-traversal and control characters out of the name, and stores under a server-made name', async () => {
      const traversal = await upload('../../../etc/\u202Epasswd\u0000.png', await noise(8, 8).png().toBuffer());
      expect(traversal.status).toBe(201);
      expect(traversal.body.file_name).toBe('passwd.png');
      expect(row(traversal.body.id)?.file_path).toMatch(/^blobs\/[0-9a-f]{2}\/[0-9a-f-]{36}\.blob$/);
      const windows = await paste({
        data_url: dataUrl(await noise(8, 8).png().toBuffer()),
        pii_warning_acknowledged: true,
        file_name: '..\\..\\Windows\\win.ini',
      });
      expect(windows.body.file_name).toBe('win.png');
      // A name is free text: personal data in it is redacted like anywhere else.
      const named = await upload('jane.doe@example.org.png', await noise(8, 8).png().toBuffer());
      expect(named.body.file_name).toBe('[Email].png');
      // FormData percent-encodes quotes and line breaks in a part's name; JSON sends them as they are.
      const quoted = await paste({
        data_url: dataUrl(await noise(8, 8).png().toBuffer()),
        pii_warning_acknowledged: true,
        file_name: 'a"b\r\nX-Evil: 1.png',
      });
      const served = await download(quoted.body.id);
      expect(served.headers.get('x-evil')).toBeNull();
      expect(served.headers.get('content-disposition')).toBe(
        `attachment; filename="a_bX-Evil: 1.png"; filename*=UTF-8''a%22bX-Evil%3A%201.png`,
      );
    });
  });

  describe('refuses bad uploads with a clear 4xx and leaves nothing behind', () => {
    let before: string[];
    let rows: number;
    const countRows = () => (api.db.prepare('SELECT count(*) AS n FROM image_attachments').get() as { n: number }).n;
    beforeEach(() => {
      before = blobs();
      rows = countRows();
    });
    afterEach(() => {
      expect(blobs()).toEqual(before);
      expect(countRows()).toBe(rows);
      expect(readdirSync(join(api.dataDir, 'blobs', 'tmp'))).toEqual([]);
    });

    it('without the PII acknowledgement, or with it false', async () => {
      const png = await noise(8, 8).png().toBuffer();
      const missing = await upload('a.png', png, {});
      expect(failure(missing)).toEqual([400, 'PII_WARNING_NOT_ACKNOWLEDGED']);
      expect(missing.body.error.message).toMatch(/pii_warning_acknowledged=true/);
      expect(failure(await upload('a.png', png, { pii_warning_acknowledged: 'false' }))).toEqual([400, 'PII_WARNING_NOT_ACKNOWLEDGED']);
      expect(failure(await paste({ data_url: dataUrl(png) }))).toEqual([400, 'PII_WARNING_NOT_ACKNOWLEDGED']);
      expect(failure(await paste({ data_url: dataUrl(png), pii_warning_acknowledged: false }))).toEqual([
        400,
        'PII_WARNING_NOT_ACKNOWLEDGED',
      ]);
    });

    it('SVG, also disguised as .png or declared as a PNG data URL', async () => {
      for (const result of [
        await upload('logo.svg', SVG),
        await upload('innocent.png', SVG),
        await paste({ data_url: dataUrl(Buffer.from(SVG), 'image/png'), pii_warning_acknowledged: true }),
      ]) {
        expect(failure(result)).toEqual([415, 'UNSUPPORTED_FILE_TYPE']);
        expect(result.body.error.message).toMatch(/SVG is refused/);
      }
    });

    it.each([
      ['garbage bytes', () => randomBytes(4096), 415, 'UNSUPPORTED_FILE_TYPE'],
      ['HTML named .png', () => Buffer.from('<html><script>alert(1)</script></html>'), 415, 'UNSUPPORTED_FILE_TYPE'],
      ['an empty file', () => Buffer.alloc(0), 415, 'UNSUPPORTED_FILE_TYPE'],
      ['a GIF/script polyglot', () => Buffer.from('GIF89a/*<script>alert(1)</script>*/=1;'), 400, 'INVALID_UPLOAD'],
      ['a truncated PNG', async () => (await noise(64, 64).png().toBuffer()).subarray(0, 300), 400, 'INVALID_UPLOAD'],
      ['an RLE-compressed BMP', () => bmp24(2, 2).fill(1, 30, 31), 415, 'UNSUPPORTED_FILE_TYPE'],
    ])('%s', async (_, make, status, code) => {
      expect(failure(await upload('x.png', await make()))).toEqual([status, code]);
    });

    it('over 10 MiB, by multipart or data URL; a body past 16 MiB is refused by the server before it is read', async () => {
      const over = Buffer.concat([await noise(8, 8).png().toBuffer(), randomBytes(10 * MiB)]);
      const multipart = await upload('big.png', over);
      expect(failure(multipart)).toEqual([413, 'UPLOAD_TOO_LARGE']);
      expect(multipart.body.error.details).toEqual({ max_bytes: 10 * MiB });
      expect(failure(await paste({ data_url: dataUrl(over), pii_warning_acknowledged: true }))).toEqual([413, 'UPLOAD_TOO_LARGE']);
      const huge = await paste({ data_url: dataUrl(randomBytes(13 * MiB)), pii_warning_acknowledged: true });
      expect(failure(huge)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('keeps the 1 MiB body limit on every other route', async () => {
      // Raw fetch: POST /v1/issues does not document its 413, which the harness would reject.
      const response = await fetch(`${api.base}/v1/issues`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(factory.issue({ description: 'x'.repeat(2 * MiB) })),
      });
      expect([response.status, ((await response.json()) as { error: { code: string } }).error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('a decompression bomb: a small file with too many pixels', async () => {
      const bomb = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      const result = await upload('bomb.png', bomb);
      expect(failure(result)).toEqual([413, 'UPLOAD_TOO_LARGE']);
      expect(result.body.error.details).toEqual({ max_pixels: 50_000_000 });
    });

    it('an unknown issue', async () => {
      expect(failure(await upload('a.png', await noise(8, 8).png().toBuffer(), undefined, UNKNOWN_ID))).toEqual([404, 'ISSUE_NOT_FOUND']);
    });

    it('malformed requests: no file part, a wrong field, an unknown field, a raw body, bad JSON, a bad data URL', async () => {
      const png = await noise(8, 8).png().toBuffer();
      const noFile = new FormData();
      noFile.append('pii_warning_acknowledged', 'true');
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/images`, { rawBody: noFile }))).toEqual([400, 'INVALID_UPLOAD']);
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/images`, { rawBody: form('a.png', png, undefined, 'image') }))).toEqual([
        400,
        'INVALID_UPLOAD',
      ]);
      expect(failure(await upload('a.png', png, { pii_warning_acknowledged: 'true', colour: 'red' }))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await upload('a.png', png, { pii_warning_acknowledged: 'yes' }))).toEqual([400, 'VALIDATION_FAILED']);
      const raw = await api.call('POST', `/v1/issues/${issueId}/images`, {
        rawBody: png,
        headers: { 'content-type': 'application/octet-stream' },
      });
      expect(failure(raw)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      expect(failure(await api.call('POST', `/v1/issues/${issueId}/images`, { rawBody: '{"data_url": ' }))).toEqual([400, 'INVALID_JSON']);
      expect(failure(await paste({ data_url: 'https://example.org/a.png', pii_warning_acknowledged: true }))).toEqual([
        400,
        'INVALID_UPLOAD',
      ]);
      expect(failure(await paste({ data_url: 'data:image/png;base64,%%%%', pii_warning_acknowledged: true }))).toEqual([
        400,
        'INVALID_UPLOAD',
      ]);
      expect(failure(await paste({ data_url: dataUrl(png), pii_warning_acknowledged: true, extra: 1 }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
      expect(failure(await paste({ data_url: 42, pii_warning_acknowledged: 'true' }))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await paste({}))).toEqual([400, 'VALIDATION_FAILED']);
      const typed = await api.call('POST', `/v1/issues/${issueId}/images`, { rawBody: png, headers: { 'content-type': 'image/png' } });
      expect(failure(typed)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    });

    it('more images than an issue may hold', async () => {
      const issue = await newIssue();
      await api.call('PUT', '/v1/settings/uploads.max_files_per_issue', { body: { value: 1 } });
      try {
        expect((await upload('1.png', await noise(8, 8).png().toBuffer(), undefined, issue)).status).toBe(201);
        before = blobs();
        rows = countRows();
        expect(failure(await upload('2.png', await noise(8, 8).png().toBuffer(), undefined, issue))).toEqual([409, 'TOO_MANY_FILES']);
      } finally {
        await api.call('PUT', '/v1/settings/uploads.max_files_per_issue', { body: { value: 100 } });
      }
    });

    it('an upload without the write scope', async () => {
      const reader = api.createKey('reader-images', ['read']);
      const result = await api.call('POST', `/v1/issues/${issueId}/images`, {
        key: reader,
        rawBody: form('a.png', await noise(8, 8).png().toBuffer()),
      });
      expect(failure(result)).toEqual([403, 'FORBIDDEN']);
    });
  });

  it('accepts an image of exactly 10 MiB', async () => {
    // A PNG decoder stops at IEND: padding after it makes the exact size cheaply, and it is not stored.
    const png = await noise(8, 8).png().toBuffer();
    const exact = Buffer.concat([png, Buffer.alloc(10 * MiB - png.length, 0x42)]);
    const { status, body } = await upload('exact.png', exact);
    expect(status).toBe(201);
    expect(body.file_size).toBeLessThan(4096);
  });

  describe('reading back', () => {
    it('answers unknown images with 404 IMAGE_NOT_FOUND', async () => {
      expect(failure(await api.call('GET', `/v1/images/${UNKNOWN_ID}`))).toEqual([404, 'IMAGE_NOT_FOUND']);
      const content = await download(UNKNOWN_ID);
      expect([content.status, content.json.error.code]).toEqual([404, 'IMAGE_NOT_FOUND']);
    });

    it('refuses to serve a stored file with one flipped byte (500 STORED_FILE_CORRUPT, no image bytes)', async () => {
      const { body } = await upload('flip.png', await noise(300, 300).png().toBuffer());
      const path = join(api.dataDir, row(body.id)?.file_path as string);
      for (const offset of [200, statSync(path).size - 5]) {
        const bytes = readFileSync(path);
        bytes[offset] ^= 0x01;
        writeFileSync(path, bytes);
        const served = await download(body.id);
        expect([served.status, served.json.error.code]).toEqual([500, 'STORED_FILE_CORRUPT']);
        expect(served.headers.get('content-type')).toMatch(/^application\/json/);
        bytes[offset] ^= 0x01;
        writeFileSync(path, bytes);
        expect((await download(body.id)).status).toBe(200);
      }
    });

    it('answers 410 STORED_FILE_MISSING when the file is gone, or the row is the desktop app’s', async () => {
      const { body } = await upload('gone.png', await noise(8, 8).png().toBuffer());
      unlinkSync(join(api.dataDir, row(body.id)?.file_path as string));
      const gone = await download(body.id);
      expect([gone.status, gone.json.error.code]).toEqual([410, 'STORED_FILE_MISSING']);

      const desktop = newId();
      api.db
        .prepare(
          `INSERT INTO image_attachments (id, issue_id, file_name, file_path, file_size, mime_type, upload_hash, uploaded_at, pii_warning_acknowledged, is_paste)
           VALUES (?, ?, 'shot.svg', '/home/jane/Pictures/shot.svg', 10, 'image/svg+xml', 'x', ?, 1, 0)`,
        )
        .run(desktop, issueId, toDbTimestamp());
      const legacy = await download(desktop);
      expect([legacy.status, legacy.json.error.code]).toEqual([410, 'STORED_FILE_MISSING']);
      const planted = factory.imageAttachment(api.db, api.dataDir, issueId);
      expect((await download(planted.id)).status).toBe(410);
    });
  });

  describe('deleting', () => {
    it('deletes the row with an audit entry, then its blob; a second delete is 404', async () => {
      const { body } = await upload('bye.png', await noise(8, 8).png().toBuffer());
      const blob = join(api.dataDir, row(body.id)?.file_path as string);
      const result = await api.call('DELETE', `/v1/images/${body.id}`);
      expect(result.status).toBe(204);
      expect(row(body.id)).toBeUndefined();
      expect(() => statSync(blob)).toThrow();
      expect(auditFor(body.id).map((e) => [e.action, e.details])).toEqual([
        ['upload_image_attachment', expect.any(Object)],
        [
          'delete_image_attachment',
          { issue_id: issueId, upload_hash: body.upload_hash, file_size: body.file_size, mime_type: 'image/png', is_paste: false },
        ],
      ]);
      expect(failure(await api.call('DELETE', `/v1/images/${body.id}`))).toEqual([404, 'IMAGE_NOT_FOUND']);
      expect((await api.call('GET', `/v1/issues/${issueId}`)).body.image_attachments.map((i: { id: string }) => i.id)).not.toContain(
        body.id,
      );
    });

    it('never deletes a file outside the blob store that a desktop-app row points at', async () => {
      const outside = join(api.dataDir, 'users-own-screenshot.png');
      writeFileSync(outside, 'not ours');
      const id = newId();
      api.db
        .prepare(
          `INSERT INTO image_attachments (id, issue_id, file_name, file_path, file_size, mime_type, upload_hash, uploaded_at, pii_warning_acknowledged, is_paste)
           VALUES (?, ?, 'own.png', ?, 8, 'image/png', 'y', ?, 1, 0)`,
        )
        .run(id, issueId, outside, toDbTimestamp());
      expect((await api.call('DELETE', `/v1/images/${id}`)).status).toBe(204);
      expect(readFileSync(outside, 'utf8')).toBe('not ours');
    });

    it('removes the image blobs of a deleted issue', async () => {
      const issue = await newIssue();
      const { body } = await upload('with-issue.png', await noise(8, 8).png().toBuffer(), undefined, issue);
      const blob = join(api.dataDir, row(body.id)?.file_path as string);
      expect((await api.call('DELETE', `/v1/issues/${issue}`)).status).toBe(204);
      expect(() => statSync(blob)).toThrow();
    });

    it('requires the write scope', async () => {
      const { body } = await upload('kept.png', await noise(8, 8).png().toBuffer());
      const reader = api.createKey('reader-delete-images', ['read']);
      expect(failure(await api.call('DELETE', `/v1/images/${body.id}`, { key: reader }))).toEqual([403, 'FORBIDDEN']);
    });
  });

  it('keeps no plaintext of an image, nor its metadata, anywhere in the data directory', async () => {
    const png = await noise(96, 96).withExif(EXIF).png().toBuffer();
    const { body } = await upload('secret.png', png);
    const stored = (await download(body.id)).bytes;
    // Windows from the middle of what was sent and of what is served: high-entropy, so unique to this image.
    const patterns = [
      CANARY,
      png.subarray(png.length / 2, png.length / 2 + 32),
      stored.subarray(stored.length / 2, stored.length / 2 + 32),
    ];
    api.db.pragma('wal_checkpoint(PASSIVE)');
    for (const file of filesUnder(api.dataDir)) {
      if (statSync(file).size === 0) continue;
      const bytes = readFileSync(file);
      expect({ file, found: patterns.map((p) => bytes.includes(p)) }).toEqual({ file, found: [false, false, false] });
    }
  });

  it('documents every image route in the OpenAPI document', () => {
    const paths = api.openapi.doc.paths;
    expect(Object.keys(paths['/v1/issues/{id}/images'].post.responses).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '404',
      '409',
      '413',
      '415',
      '429',
      '503',
      '507',
    ]);
    expect(Object.keys(paths['/v1/issues/{id}/images'].post.requestBody?.content ?? {}).sort()).toEqual([
      'application/json',
      'multipart/form-data',
    ]);
    expect(Object.keys(paths['/v1/images/{id}/content'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '410', '500']));
    expect(paths['/v1/images/{id}'].delete.responses['204']).toBeDefined();
  });
});

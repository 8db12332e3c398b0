import { readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The desktop's own decompression-bomb guard (get_log_file_content, §3.2), also the cap on a file read from disk. */
export const MAX_CONTENT_BYTES = 100 * 1024 * 1024;

export type Loaded = { bytes: Buffer; from: 'database' | 'disk' } | { bytes: null; problem: string };

/**
 * A log file's text: the gzip in `content_compressed` (migration 020 on), else the file at `file_path` when it
 * can still be read, as the app itself falls back. Null with the reasons when neither gives anything.
 */
export function loadLogContent(row: { content_compressed?: unknown; file_path?: unknown }): Loaded {
  const problems: string[] = [];
  const compressed = row.content_compressed;
  if (Buffer.isBuffer(compressed) && compressed.length > 0) {
    try {
      return { bytes: gunzipSync(compressed, { maxOutputLength: MAX_CONTENT_BYTES }), from: 'database' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push(
        code === 'ERR_BUFFER_TOO_LARGE'
          ? `content_compressed holds more than ${MAX_CONTENT_BYTES} bytes`
          : `content_compressed is not valid gzip (${code ?? (err as Error).message})`,
      );
    }
  } else {
    problems.push(
      row.content_compressed === undefined ? 'the database predates content_compressed (migration 020)' : 'content_compressed is empty',
    );
  }
  const fromDisk = readFromDisk(row.file_path);
  if ('bytes' in fromDisk) return { bytes: fromDisk.bytes, from: 'disk' };
  problems.push(fromDisk.problem);
  return { bytes: null, problem: problems.join('; ') };
}

/** An image's bytes: `image_data` (migration 021 on), else `file_path`, as get_image_attachment_data does. */
export function loadImageBytes(row: { image_data?: unknown; file_path?: unknown }): Loaded {
  const data = row.image_data;
  if (Buffer.isBuffer(data) && data.length > 0) return { bytes: data, from: 'database' };
  const first = data === undefined ? 'the database predates image_data (migration 021)' : 'image_data is empty';
  const fromDisk = readFromDisk(row.file_path);
  if ('bytes' in fromDisk) return { bytes: fromDisk.bytes, from: 'disk' };
  return { bytes: null, problem: `${first}; ${fromDisk.problem}` };
}

function readFromDisk(raw: unknown): { bytes: Buffer } | { problem: string } {
  const path = typeof raw === 'string' ? raw : '';
  // Content sent by value stored the bare file name as file_path: there is no file to read.
  if (!path || !/[\\/]/.test(path)) return { problem: `file_path ${JSON.stringify(path)} names no file on disk` };
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { problem: `file_path ${path} is not a regular file` };
    if (stat.size > MAX_CONTENT_BYTES) return { problem: `file_path ${path} is larger than ${MAX_CONTENT_BYTES} bytes` };
    return { bytes: readFileSync(path) };
  } catch (err) {
    return { problem: `file_path ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

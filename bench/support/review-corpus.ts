import { Readable } from 'node:stream';
import type { Db } from '@tftsr/db';
import { LogFileProcessingRepository, newId, PiiSpanRepository, toDbTimestamp, transaction } from '@tftsr/db';
import type { ValueKeys } from '@tftsr/redaction';
import { buildReviewIndex } from '@tftsr/redaction';
import type { BlobStore } from '@tftsr/storage';

/** One record: four log lines, one of which holds a PII value; padded so that the file reaches its size. */
const FILLER = ' c.e.Sync - heartbeat ok; queue depth nominal; nothing to report'.padEnd(200, ' .');

interface Planned {
  start: number;
  end: number;
  type: 'IPv4' | 'Email';
  value: string;
}

/**
 * A stored log file of `bytes` with `spans` detected values, written as the upload route and the worker would
 * leave it (encrypted blob, file row, processing done, spans, review index), without running detection: the
 * review rows measure reading, not scanning. Skewed like the issue's 205 MB log: 40 % of the spans are one IP,
 * the rest spread over some 50,000 values.
 */
export async function seedReviewFile(
  db: Db,
  blobs: BlobStore,
  keys: ValueKeys,
  bytes: number,
  spans: number,
): Promise<{ fileId: string; lines: number }> {
  const recordBytes = Math.max(300, Math.floor(bytes / spans));
  const planned: Planned[] = [];
  let offset = 0;
  let lines = 0;
  function* records(): Generator<Buffer> {
    for (let n = 0; n < spans; n++) {
      const value =
        n % 5 < 2 ? '10.0.0.1' : n % 2 === 0 ? `10.${(n >> 8) & 255}.${n & 255}.${(n >> 16) & 7}` : `user${n % 30_000}@example.org`;
      const type = value.includes('@') ? 'Email' : 'IPv4';
      const head = `2026-11-27T10:00:${String(n % 60).padStart(2, '0')}Z INFO [worker-${n % 8}] c.e.Checkout - request ${n} from `;
      const pii = Buffer.byteLength(head);
      const line1 = `${head}${value} ok\n`;
      const rest = recordBytes - Buffer.byteLength(line1);
      const each = Math.max(1, Math.floor(rest / 3) - 1);
      const pad = `${FILLER.repeat(Math.ceil(each / FILLER.length)).slice(0, each)}\n`;
      planned.push({ start: offset + pii, end: offset + pii + Buffer.byteLength(value), type, value });
      const record = Buffer.from(line1 + pad + pad + pad);
      offset += record.length;
      lines += 4;
      yield record;
    }
  }
  const stored = await blobs.write(Readable.from(records()));
  const fileId = newId();
  transaction(db, () => {
    const issueId = newId();
    const now = toDbTimestamp();
    db.prepare(
      `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 'review bench', 'high', 'open', ?, ?)`,
    ).run(issueId, now, now);
    db.prepare(
      `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at) VALUES (?, ?, 'big.log', ?, ?, 'text/plain', ?, ?)`,
    ).run(fileId, issueId, stored.path, stored.size, 'bench', now);
    const processing = new LogFileProcessingRepository(db);
    processing.create(fileId);
    processing.setHashState(fileId, 'done');
    processing.setScanState(fileId, 'done', 100);
  });
  const repo = new PiiSpanRepository(db);
  for (let i = 0; i < planned.length; i += 20_000) {
    transaction(db, () => {
      for (const p of planned.slice(i, i + 20_000))
        repo.insert(fileId, {
          pii_type: p.type,
          start_offset: p.start,
          end_offset: p.end,
          original_value: p.value,
          replacement: `[${p.type}]`,
        });
    });
  }
  await buildReviewIndex(db, blobs, keys, fileId, stored.path);
  return { fileId, lines };
}

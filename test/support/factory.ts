import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db } from '@tftsr/db';
import { newId, toDbMillis, toDbTimestamp } from '@tftsr/db';

let counter = 0;

/** Test data: request bodies and rows, each with sensible defaults that a test overrides. */
export const factory = {
  issue(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    counter += 1;
    return { title: `Database timeout number ${counter}`, description: 'connection pool exhausted', severity: 'high', ...overrides };
  },

  step(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return { step_order: 1, why_question: 'Why did the service stop answering?', answer: 'The pool was exhausted', ...overrides };
  },

  /** A log file row and its bytes under {dataDir}/blobs, as uploads (issue 5) will store them. */
  logFile(db: Db, dataDir: string, issueId: string): { id: string; path: string } {
    const id = newId();
    const path = join(dataDir, 'blobs', id.slice(0, 2), id);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'user=alice@example.com connected from 10.1.2.3\n');
    db.prepare(
      `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at, redacted)
       VALUES (?, ?, 'app.log', ?, 48, 'text/plain', 'abc', ?, 1)`,
    ).run(id, issueId, path, toDbTimestamp());
    db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement)
       VALUES (?, ?, 'Email', 5, 22, 'alice@example.com', '[Email]')`,
    ).run(newId(), id);
    return { id, path };
  },

  imageAttachment(db: Db, dataDir: string, issueId: string): { id: string; path: string } {
    const id = newId();
    const relative = join('blobs', id.slice(0, 2), `${id}.png`);
    const path = join(dataDir, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    // A path relative to the data directory: both forms must be cleaned up.
    db.prepare(
      `INSERT INTO image_attachments (id, issue_id, file_name, file_path, file_size, mime_type, upload_hash, uploaded_at, pii_warning_acknowledged, is_paste)
       VALUES (?, ?, 'screen.png', ?, 4, 'image/png', 'def', ?, 1, 0)`,
    ).run(id, issueId, relative, toDbTimestamp());
    return { id, path };
  },

  document(db: Db, issueId: string): string {
    const id = newId();
    db.prepare(
      `INSERT INTO documents (id, issue_id, doc_type, title, content_md, created_at, updated_at) VALUES (?, ?, 'rca', 'RCA', '# RCA', ?, ?)`,
    ).run(id, issueId, toDbMillis(), toDbMillis());
    return id;
  },
};

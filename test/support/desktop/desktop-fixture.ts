import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { v7 as uuidv7 } from 'uuid';
import { DESKTOP_MIGRATIONS } from './desktop-migrations';

export type DesktopDb = Database.Database;

/** Migrations whose "duplicate column name" the app's runner tolerates (§2.2). */
const TOLERANT = [
  '_add_use_datastore_upload',
  '_add_created_at',
  '_add_log_content_compressed',
  '_add_image_data',
  '_add_supports_tool_calling',
  '_add_proxmox_username_column',
  '_add_database_ssh_tunnel_columns',
  '_add_database_ssh_credential_columns',
];

/**
 * A desktop-format database at migration `level` (1..42), made the way the app makes it (connection.rs and
 * migrations.rs): SQLCipher 4 with 16 KiB pages and the key as a passphrase, or plain SQLite (debug builds).
 */
export function createDesktopDb(path: string, level: number, key: string | null): DesktopDb {
  const db = new Database(path);
  if (key !== null) {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    db.pragma('legacy_page_size=16384');
    db.key(Buffer.from(key, 'utf8'));
  }
  // The app never turns foreign keys on (better-sqlite3 does by default), and sets no journal mode.
  db.pragma('foreign_keys = OFF');
  db.exec(
    `CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`,
  );
  for (const [name, sql] of DESKTOP_MIGRATIONS.slice(0, level)) {
    try {
      db.exec(sql);
    } catch (err) {
      const message = (err as Error).message;
      if (!(name.includes('fts') || (TOLERANT.some((t) => name.endsWith(t)) && message.includes('duplicate column name')))) throw err;
    }
    db.prepare('INSERT INTO _migrations (name) VALUES (?)').run(name);
  }
  return db;
}

/** Planted in a compressed log: each must be found by detect_pii and must never reach redacted text in clear. */
export const PLANTED = {
  email: 'oncall.lead@acme-payments.com',
  aws: 'AKIAQWERTZUI0PASDF12',
  password: 'Tr0ub4dor&3x',
  card: '4111111111111111',
  ip: '10.20.30.40',
};

export const LOG_TEXT = [
  `2026-03-01T10:00:00Z INFO checkout: request from ${PLANTED.ip} user=${PLANTED.email}`,
  `2026-03-01T10:00:01Z DEBUG aws client configured with AWS_ACCESS_KEY_ID=${PLANTED.aws}`,
  `2026-03-01T10:00:02Z ERROR db login failed password=${PLANTED.password}`,
  `2026-03-01T10:00:03Z WARN charge declined for card ${PLANTED.card}`,
  '',
].join('\n');

/** A chat message and a 5-Why answer with personal data: stored redacted by the import. */
export const CHAT_SECRET = 'jane.doe@example.org';

const GPS_EXIF = {
  IFD0: { Artist: 'CANARY-Jane-Doe' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 1234/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
};

export async function gpsJpeg(): Promise<Buffer> {
  return sharp(randomBytes(16 * 16 * 3), { raw: { width: 16, height: 16, channels: 3 } })
    .withExif(GPS_EXIF)
    .jpeg()
    .toBuffer();
}

export interface FixtureFacts {
  issueIds: string[];
  logFileIds: { compressed?: string; onDisk: string; missing: string };
  imageId?: string;
  imageBytes?: Buffer;
  counts: {
    issues: number;
    log_files: number;
    image_attachments: number;
    resolution_steps: number;
    ai_conversations: number;
    ai_messages: number;
    documents: number;
    timeline_events: number;
  };
}

const hasColumn = (db: DesktopDb, table: string, column: string) =>
  (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).some((c) => c.name === column);
const hasTable = (db: DesktopDb, table: string) =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;

/**
 * Rows as the app writes them at the database's level: P-severities, `triaging`, " UTC" timeline stamps, a
 * compressed log holding planted secrets (020+), a log on disk, a log whose content is gone, a GPS-tagged JPEG
 * (013+; in image_data from 021), repeated 5-Why orders, and a conversation with personal data.
 */
export async function addRealisticRows(db: DesktopDb, dir: string): Promise<FixtureFacts> {
  const a = uuidv7();
  const b = uuidv7();
  const issue = db.prepare(
    `INSERT INTO issues (id, title, description, severity, status, category, source, created_at, updated_at, resolved_at, assigned_to, tags) VALUES (?, ?, ?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?)`,
  );
  issue.run(
    a,
    'Checkout 502s',
    'Gateway timeouts on checkout',
    'P1',
    'triaging',
    'network',
    '2026-03-01 09:58:00',
    '2026-03-01 11:00:00',
    null,
    '',
    '["payments"]',
  );
  issue.run(
    b,
    'Disk full on build agent',
    '',
    'P4',
    'resolved',
    'linux',
    '2026-03-02 08:00:00',
    '2026-03-02 09:00:00',
    '2026-03-02 09:00:00',
    'sam',
    '[]',
  );
  const counts = {
    issues: 2,
    log_files: 0,
    image_attachments: 0,
    resolution_steps: 0,
    ai_conversations: 0,
    ai_messages: 0,
    documents: 0,
    timeline_events: 0,
  };

  const compressed = hasColumn(db, 'log_files', 'content_compressed');
  const logIds = { compressed: compressed ? uuidv7() : undefined, onDisk: uuidv7(), missing: uuidv7() };
  const diskPath = join(dir, 'desktop-on-disk.log');
  writeFileSync(diskPath, `disk log: contact ${PLANTED.email}\n`);
  const log = db.prepare(
    `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at, redacted) VALUES (?, ?, ?, ?, ?, 'text/plain', '', ?, ?)`,
  );
  if (logIds.compressed) {
    log.run(logIds.compressed, a, 'checkout.log', 'checkout.log', Buffer.byteLength(LOG_TEXT), '2026-03-01 10:05:00', 1);
    db.prepare('UPDATE log_files SET content_compressed = ? WHERE id = ?').run(gzipSync(Buffer.from(LOG_TEXT)), logIds.compressed);
  }
  log.run(logIds.onDisk, a, 'disk.log', diskPath, 40, '2026-03-01 10:06:00', 0);
  log.run(logIds.missing, b, 'gone.log', join(dir, 'no-such-dir', 'gone.log'), 10, '2026-03-02 08:10:00', 0);
  counts.log_files = logIds.compressed ? 3 : 2;

  let imageId: string | undefined;
  let imageBytes: Buffer | undefined;
  if (hasTable(db, 'image_attachments')) {
    imageId = uuidv7();
    imageBytes = await gpsJpeg();
    const imagePath = join(dir, 'photo.jpg');
    writeFileSync(imagePath, imageBytes);
    db.prepare(
      `INSERT INTO image_attachments (id, issue_id, file_name, file_path, file_size, mime_type, upload_hash, uploaded_at, pii_warning_acknowledged, is_paste) VALUES (?, ?, 'rack-photo.jpg', ?, ?, 'image/jpeg', '', '2026-03-01 10:07:00', 1, 0)`,
    ).run(imageId, a, imagePath, imageBytes.length);
    if (hasColumn(db, 'image_attachments', 'image_data'))
      db.prepare('UPDATE image_attachments SET image_data = ?, file_path = ? WHERE id = ?').run(imageBytes, 'rack-photo.jpg', imageId);
    counts.image_attachments = 1;
  }

  const step = db.prepare(
    `INSERT INTO resolution_steps (id, issue_id, step_order, why_question, answer, evidence, created_at) VALUES (?, ?, ?, ?, ?, '', ?)`,
  );
  step.run(uuidv7(), a, 1, 'Why 1: why did checkout fail?', 'The gateway timed out', '2026-03-01 10:10:00');
  // The app never enforced unique orders: the import renumbers.
  step.run(uuidv7(), a, 1, 'Why 1: why again?', `Mail ${CHAT_SECRET} said so`, '2026-03-01 10:11:00');
  step.run(uuidv7(), a, 2, 'Why 2: why the timeout?', 'Pool exhausted', '2026-03-01 10:12:00');
  counts.resolution_steps = 3;

  const conversation = uuidv7();
  db.prepare(
    `INSERT INTO ai_conversations (id, issue_id, provider, model, created_at, title) VALUES (?, ?, 'ollama', 'llama3.2:3b', '2026-03-01 10:20:00', 'Untitled')`,
  ).run(conversation, a);
  const message = db.prepare(
    `INSERT INTO ai_messages (id, conversation_id, role, content, token_count, created_at) VALUES (?, ?, ?, ?, 0, ?)`,
  );
  message.run(uuidv7(), conversation, 'user', `Customer ${CHAT_SECRET} reports 502s`, '2026-03-01 10:20:01');
  message.run(
    uuidv7(),
    conversation,
    'assistant',
    `Check the gateway at ${PLANTED.ip}; the password=${PLANTED.password} in the log is exposed`,
    '2026-03-01 10:20:05',
  );
  counts.ai_conversations = 1;
  counts.ai_messages = 2;

  db.prepare(
    `INSERT INTO documents (id, issue_id, doc_type, title, content_md, created_at, updated_at) VALUES (?, ?, 'rca', 'RCA: Checkout 502s', '# Root Cause Analysis: Checkout 502s', ?, ?)`,
  ).run(uuidv7(), a, Date.UTC(2026, 2, 1, 11), Date.UTC(2026, 2, 1, 11));
  counts.documents = 1;

  if (hasTable(db, 'timeline_events')) {
    const event = db.prepare(
      `INSERT INTO timeline_events (id, issue_id, event_type, description, metadata, created_at) VALUES (?, ?, ?, ?, '{}', ?)`,
    );
    event.run(uuidv7(), a, 'rca_generated', 'RCA document generated', '2026-03-01 11:00:00 UTC');
    event.run(uuidv7(), a, 'document_exported', `Exported for ${CHAT_SECRET}`, '2026-03-01 11:05:00');
    counts.timeline_events = 2;
  }
  return { issueIds: [a, b], logFileIds: logIds, imageId, imageBytes, counts };
}

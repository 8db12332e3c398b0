'use strict';
// One writer of the concurrency test: opens the shared file exactly as the apps do and runs N write
// transactions, each an issue row plus its audit entry, counting any SQLITE_BUSY. Runs from dist/.
const path = require('node:path');
const dist = path.join(__dirname, '..', '..', '..', 'dist', 'libs', 'db', 'src');
const { openDatabase, transaction, AuditLogRepository, deriveKey, newId, toDbTimestamp } = require(dist);

const [dbPath, key, role, count] = process.argv.slice(2);
const db = openDatabase({ path: dbPath, key, synchronous: 'FULL' });
const audit = new AuditLogRepository(db, deriveKey(key, 'audit-hmac'));
const insert = db.prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, ?, 'low', 'open', ?, ?)`);

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  let busy = 0;
  let other = 0;
  for (let i = 0; i < Number(count); i += 1) {
    try {
      transaction(db, () => {
        const id = newId();
        const now = toDbTimestamp();
        insert.run(id, `${role} ${i}`, now, now);
        audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: id, user_id: role });
      });
    } catch (err) {
      if (String(err.code).startsWith('SQLITE_BUSY')) busy += 1;
      else other += 1;
    }
  }
  db.close();
  process.stdout.write(`${JSON.stringify({ role, busy, other })}\n`, () => process.exit(0));
});

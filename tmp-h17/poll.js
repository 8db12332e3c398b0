const { openDatabase } = require('@tftsr/db');
const { DB_KEY } = require('../dist/bench/support/app-stack');
const fs = require('fs');
const path = process.argv[2];
setInterval(() => {
  try {
    const db = openDatabase({ path, key: DB_KEY, readonly: true });
    const rows = db.prepare(`SELECT f.issue_id, count(*) n, sum(p.hash_state='done' AND p.scan_state='done') ready, min(f.uploaded_at) a, max(f.uploaded_at) b FROM log_files f JOIN log_file_processing p ON p.log_file_id=f.id GROUP BY f.issue_id ORDER BY a`).all();
    db.close();
    fs.appendFileSync('/tmp/h17-poll.log', new Date().toISOString() + ' ' + JSON.stringify(rows) + '\n');
  } catch (e) { fs.appendFileSync('/tmp/h17-poll.log', 'ERR ' + e.message + '\n'); }
}, 3000);

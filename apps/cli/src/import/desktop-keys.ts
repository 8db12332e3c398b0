import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KeyCandidate } from '../../../../libs/db/src';
import { DesktopImportError } from './import-errors';

/**
 * The key the desktop app would use, in its own order (§2.1): `--key-file`, else `TRCAA_DB_KEY`, `TFTSR_DB_KEY`
 * (non-blank), then `.dbkey` beside the database. All are returned: the first that opens the file wins, so a
 * TFTSR_DB_KEY meant for this service does not hide the `.dbkey` the app really used.
 */
export function keyCandidates(dbPath: string, keyFile: string | undefined, env: Record<string, string | undefined>): KeyCandidate[] {
  if (keyFile !== undefined) {
    let key: string;
    try {
      key = readFileSync(keyFile, 'utf8').trim();
    } catch (err) {
      throw new DesktopImportError(`cannot read the key file ${keyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!key) throw new DesktopImportError(`the key file ${keyFile} is empty`);
    return [{ source: `--key-file ${keyFile}`, key }];
  }
  const found: KeyCandidate[] = [];
  for (const name of ['TRCAA_DB_KEY', 'TFTSR_DB_KEY']) {
    const value = env[name]?.trim();
    if (value) found.push({ source: name, key: value });
  }
  const dotKey = join(dirname(dbPath), '.dbkey');
  if (existsSync(dotKey)) {
    const key = readFileSync(dotKey, 'utf8').trim();
    if (key) found.push({ source: dotKey, key });
  }
  return found;
}

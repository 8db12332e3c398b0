import 'reflect-metadata';
import { closeSync, existsSync, fchmodSync, openSync, writeSync } from 'node:fs';
import type { Env } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';
import { deriveKey, openDatabase } from '@tftsr/db';
import type { CliIo } from '../cli-io';
import { CliError } from '../cli-io';

/**
 * `tftsr scanner export-key`: the database is opened first, so that a wrong TFTSR_DB_KEY is refused instead of
 * exporting a key that opens nothing.
 */
export function exportKey(env: Env, io: CliIo, out: string, force: boolean): number {
  const config = loadConfig(BaseConfig, env);
  if (!existsSync(config.databasePath))
    throw new CliError(`no database at ${config.databasePath}: run this on the database host (TFTSR_DATA_DIR)`);
  openDatabase({ path: config.databasePath, key: config.databaseKey }).close();
  const key = deriveKey(config.databaseKey, 'blob-encryption');
  let fd: number;
  try {
    fd = openSync(out, force ? 'w' : 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${out} exists; choose another file or pass --force to overwrite it`);
    throw new CliError(`cannot write ${out} (${code ?? (err as Error).message})`);
  }
  try {
    // An existing file keeps its mode on open: the key is for its owner only, whatever it was.
    fchmodSync(fd, 0o600);
    writeSync(fd, `${key.toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
  io.err(
    `wrote the scanners' blob key to ${out} (mode 0600); give it to scanners as TFTSR_BLOB_KEY_FILE. Export it again after tftsr db rekey.`,
  );
  return 0;
}

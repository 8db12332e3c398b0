import { createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** SQLCipher 4 defaults, which `applyCipher` selects: see shared/seed/Database.md, "Encryption". */
const PAGE_SIZE = 4096;
const SALT_SIZE = 16;
const IV_SIZE = 16;
const HMAC_SIZE = 64;
const RESERVE = IV_SIZE + HMAC_SIZE;
const KDF_ITERATIONS = 256_000;
const HMAC_SALT_MASK = 0x3a;
const FAST_KDF_ITERATIONS = 2;
/**
 * SQLite never writes the page that holds the byte at offset 1 GiB (the "pending byte" its file locks use): in a
 * database past 1 GiB that page is zeros, with no HMAC, and is not part of the database.
 */
export const PENDING_BYTE_PAGE = 0x40000000 / PAGE_SIZE + 1;

export interface CipherCheckResult {
  pages: number;
  badPages: number[];
}

/** Reads `buffer.length` bytes of the file at `offset` into `buffer`. */
export type PageReader = (buffer: Buffer, offset: number) => void;

/** How often a page that fails is read again before it counts as bad, and the pause before each new read. */
const REREADS = 3;
const REREAD_PAUSE_MS = 20;

/**
 * Our `cipher_integrity_check`: SQLite3MC does not implement SQLCipher's pragma, so this recomputes the
 * HMAC-SHA512 of every page in the main file, as SQLCipher 4 defines it. Pages still in the WAL are not
 * covered; checkpoint first to include them.
 *
 * It reads the file outside SQLite's locks, so on a live database a checkpoint may be writing the page it reads
 * (a torn read, which fails its HMAC). A page that fails is read again, a few times with a short pause: only a
 * page that fails every time is reported. `readPage` is for tests.
 */
export function cipherIntegrityCheck(path: string, passphrase: string, readPage?: PageReader): CipherCheckResult {
  const fd = openSync(path, 'r');
  const read: PageReader = readPage ?? ((buffer, offset) => void readSync(fd, buffer, 0, buffer.length, offset));
  try {
    const size = fstatSync(fd).size;
    const pages = Math.floor(size / PAGE_SIZE);
    const badPages: number[] = [];
    if (size % PAGE_SIZE !== 0) badPages.push(pages + 1);
    if (pages === 0) return { pages, badPages: badPages.length ? badPages : [1] };
    const page = Buffer.alloc(PAGE_SIZE);
    read(page, 0);
    const salt = Buffer.from(page.subarray(0, SALT_SIZE));
    const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, KDF_ITERATIONS, 32, 'sha512');
    const hmacSalt = Buffer.from(salt.map((b) => b ^ HMAC_SALT_MASK));
    const hmacKey = pbkdf2Sync(key, hmacSalt, FAST_KDF_ITERATIONS, 32, 'sha512');
    const pgno = Buffer.alloc(4);
    const authentic = (n: number): boolean => {
      const start = n === 1 ? SALT_SIZE : 0;
      pgno.writeUInt32LE(n);
      const expected = createHmac('sha512', hmacKey)
        .update(page.subarray(start, PAGE_SIZE - HMAC_SIZE))
        .update(pgno)
        .digest();
      return timingSafeEqual(expected, page.subarray(PAGE_SIZE - HMAC_SIZE));
    };
    for (let n = 1; n <= pages; n += 1) {
      if (n === PENDING_BYTE_PAGE) continue;
      if (n > 1) read(page, (n - 1) * PAGE_SIZE);
      let ok = authentic(n);
      for (let again = 0; !ok && again < REREADS; again += 1) {
        pause(REREAD_PAUSE_MS);
        read(page, (n - 1) * PAGE_SIZE);
        ok = authentic(n);
      }
      if (!ok) badPages.push(n);
    }
    return { pages, badPages };
  } finally {
    closeSync(fd);
  }
}

/** A synchronous pause: the check is synchronous, and runs in the CLI, never on a server's event loop. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const SQLCIPHER_PAGE_RESERVE = RESERVE;

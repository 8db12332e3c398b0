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

/** The WAL file format (sqlite.org/fileformat2.html, "WAL File Format"): a 32-byte header, then frames. */
const WAL_HEADER_SIZE = 32;
const WAL_FRAME_HEADER_SIZE = 24;
const WAL_MAGIC = [0x377f0682, 0x377f0683];

export interface CipherCheckResult {
  /** Pages in the main file. */
  pages: number;
  /** Pages whose every copy fails authentication: in the main file, and in the WAL if it has one. */
  badPages: number[];
  /**
   * Pages the main file does not hold yet (zeros: a checkpoint that a reader held back skipped them, but wrote a
   * later page), whose latest content authenticates in the WAL. Normal on a live database.
   */
  walPages: number;
}

/** Reads `buffer.length` bytes of the file at `offset` into `buffer`. */
export type PageReader = (buffer: Buffer, offset: number) => void;

/** How often a page that fails is read again before it counts as bad, and the pause before each new read. */
const REREADS = 3;
const REREAD_PAUSE_MS = 20;

/**
 * Our `cipher_integrity_check`: SQLite3MC does not implement SQLCipher's pragma, so this recomputes the
 * HMAC-SHA512 of every page in the main file, as SQLCipher 4 defines it.
 *
 * It reads the files outside SQLite's locks, so on a live database it sees them mid-change:
 * - a checkpoint may be writing the page it reads (a torn read, which fails its HMAC);
 * - a checkpoint held back by a reader writes the pages whose latest frame that reader's snapshot allows, and
 *   skips the others: when it writes past the end of the file, a skipped page in between stays zeros, while its
 *   content is in the WAL.
 * So a page that fails is read again, a few times with a short pause, from the main file and from the WAL (its
 * frames of the current WAL generation, each authenticated as a page of that number): only a page with no
 * authentic copy in either is reported. `readPage` (the main file) is for tests.
 */
export function cipherIntegrityCheck(path: string, passphrase: string, readPage?: PageReader): CipherCheckResult {
  const fd = openSync(path, 'r');
  const read: PageReader = readPage ?? ((buffer, offset) => void readSync(fd, buffer, 0, buffer.length, offset));
  try {
    const size = fstatSync(fd).size;
    const pages = Math.floor(size / PAGE_SIZE);
    if (pages === 0) return { pages, badPages: [1], walPages: 0 };
    const page = Buffer.alloc(PAGE_SIZE);
    read(page, 0);
    const authentic = pageAuthenticator(passphrase, page.subarray(0, SALT_SIZE));
    let failing: number[] = [];
    for (let n = 1; n <= pages; n += 1) {
      if (n === PENDING_BYTE_PAGE) continue;
      if (n > 1) read(page, (n - 1) * PAGE_SIZE);
      if (!authentic(n, page)) failing.push(n);
    }
    let walPages = 0;
    for (let again = 0; failing.length > 0 && again < REREADS; again += 1) {
      pause(REREAD_PAUSE_MS);
      failing = failing.filter((n) => {
        read(page, (n - 1) * PAGE_SIZE);
        return !authentic(n, page);
      });
      const inWal = authenticInWal(`${path}-wal`, new Set(failing), authentic);
      walPages += inWal.size;
      failing = failing.filter((n) => !inWal.has(n));
    }
    const badPages = size % PAGE_SIZE !== 0 ? [...failing, pages + 1] : failing;
    return { pages, badPages, walPages };
  } finally {
    closeSync(fd);
  }
}

/** The SQLCipher 4 page HMAC under the passphrase and the database's salt (the first 16 bytes of page 1). */
function pageAuthenticator(passphrase: string, salt: Buffer): (n: number, page: Buffer) => boolean {
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, KDF_ITERATIONS, 32, 'sha512');
  const hmacSalt = Buffer.from(salt.map((b) => b ^ HMAC_SALT_MASK));
  const hmacKey = pbkdf2Sync(key, hmacSalt, FAST_KDF_ITERATIONS, 32, 'sha512');
  const pgno = Buffer.alloc(4);
  return (n, page) => {
    const start = n === 1 ? SALT_SIZE : 0;
    pgno.writeUInt32LE(n);
    const expected = createHmac('sha512', hmacKey)
      .update(page.subarray(start, PAGE_SIZE - HMAC_SIZE))
      .update(pgno)
      .digest();
    return timingSafeEqual(expected, page.subarray(PAGE_SIZE - HMAC_SIZE, PAGE_SIZE));
  };
}

/**
 * Which of `wanted` have their latest frame in the WAL, and that frame authenticates as that page. Only frames of
 * the current generation count (their salts match the header's: older frames past the end of a restarted WAL do
 * not), and the scan stops at the first frame that does not. A WAL that is missing, empty or not of 4 KiB pages
 * holds none.
 */
function authenticInWal(walPath: string, wanted: Set<number>, authentic: (n: number, page: Buffer) => boolean): Set<number> {
  const found = new Set<number>();
  if (wanted.size === 0) return found;
  let fd: number;
  try {
    fd = openSync(walPath, 'r');
  } catch {
    return found;
  }
  try {
    const header = Buffer.alloc(WAL_HEADER_SIZE);
    if (readSync(fd, header, 0, WAL_HEADER_SIZE, 0) < WAL_HEADER_SIZE) return found;
    if (!WAL_MAGIC.includes(header.readUInt32BE(0)) || header.readUInt32BE(8) !== PAGE_SIZE) return found;
    const salts = header.subarray(16, 24);
    const frameHeader = Buffer.alloc(WAL_FRAME_HEADER_SIZE);
    const latest = new Map<number, number>();
    for (let at = WAL_HEADER_SIZE; ; at += WAL_FRAME_HEADER_SIZE + PAGE_SIZE) {
      if (readSync(fd, frameHeader, 0, WAL_FRAME_HEADER_SIZE, at) < WAL_FRAME_HEADER_SIZE) break;
      if (!frameHeader.subarray(8, 16).equals(salts)) break;
      const n = frameHeader.readUInt32BE(0);
      if (wanted.has(n)) latest.set(n, at + WAL_FRAME_HEADER_SIZE);
    }
    const page = Buffer.alloc(PAGE_SIZE);
    for (const [n, at] of latest) {
      if (readSync(fd, page, 0, PAGE_SIZE, at) === PAGE_SIZE && authentic(n, page)) found.add(n);
    }
    return found;
  } finally {
    closeSync(fd);
  }
}

/** The check's one-line report, as `tftsr db check` and `tftsr db verify` print it. */
export function cipherReport({ pages, badPages, walPages }: CipherCheckResult): string {
  if (badPages.length > 0) {
    const listed = badPages.slice(0, 20).join(', ') + (badPages.length > 20 ? ', …' : '');
    return `cipher_integrity_check: ${badPages.length} of ${pages} page(s) fail authentication: ${listed}`;
  }
  return walPages > 0
    ? `cipher_integrity_check: ok (${pages} pages; ${walPages} of them not yet checkpointed, authentic in the WAL)`
    : `cipher_integrity_check: ok (${pages} pages)`;
}

/** A synchronous pause: the check is synchronous, and runs in the CLI, never on a server's event loop. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const SQLCIPHER_PAGE_RESERVE = RESERVE;

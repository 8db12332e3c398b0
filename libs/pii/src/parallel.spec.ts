import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus } from './corpus/corpus-generator';
import { scanFileParallel } from './parallel';
import { scanBuffer } from './scanner';

/** The first line start at or after `near` that is not inside one of the corpus's own key blocks. */
function lineOutsideKeyBlock(bytes: Buffer, near: number): number {
  let at = bytes.indexOf(10, near) + 1;
  while (bytes.lastIndexOf('BEGIN ', at - 1) > bytes.lastIndexOf('-----END ', at - 1)) at = bytes.indexOf(10, at) + 1;
  return at;
}

describe('scanFileParallel', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pii-parallel-'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives the same spans as a single-thread scan, with a PEM block across each first-guess boundary', async () => {
    const { bytes } = generateCorpus({ seed: 77, targetBytes: 600_000 });
    // A label the corpus never uses, so a corpus block cut in two cannot end at this block's END line.
    const pem = `-----BEGIN PGP PRIVATE KEY BLOCK-----\n${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5v\n'.repeat(60)}-----END PGP PRIVATE KEY BLOCK-----`;
    const size = bytes.length + 2 * (pem.length + 2);
    // Three workers first try to split at size/3 and 2*size/3; put a key block across both points.
    const a = lineOutsideKeyBlock(bytes, Math.floor(size / 3) - 1000);
    const b = lineOutsideKeyBlock(bytes, Math.floor((2 * size) / 3) - 1000 - (pem.length + 2));
    const file = Buffer.concat([
      bytes.subarray(0, a),
      Buffer.from(`\n${pem}\n`),
      bytes.subarray(a, b),
      Buffer.from(`\n${pem}\n`),
      bytes.subarray(b),
    ]);
    const path = join(dir, 'corpus.log');
    await writeFile(path, file);
    const sut = await scanFileParallel(path, { workers: 3, minParallelBytes: 0 });
    expect(sut).toEqual(scanBuffer(file));
    expect(sut.filter((s) => s.original.toString() === pem)).toHaveLength(2);
  });

  it('does not split inside a key block, even one that another block starts inside', async () => {
    const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkwYWJjZGVmZ2hpamtsbW5v\n';
    const nested = `-----BEGIN RSA PRIVATE KEY-----\n${line.repeat(8)}-----BEGIN EC PRIVATE KEY-----\n${line}-----END RSA PRIVATE KEY-----\n${line}-----END EC PRIVATE KEY-----\n`;
    const filler = 'INFO request served in 12ms\n'.repeat(20_000);
    // Two workers first try the middle of the file, which falls between the two BEGIN lines.
    const file = Buffer.from(`${filler}${nested}${filler}`);
    const path = join(dir, 'nested.log');
    await writeFile(path, file);
    const sut = await scanFileParallel(path, { workers: 2, minParallelBytes: 0 });
    expect(sut).toEqual(scanBuffer(file));
  });

  it('scans a small file on the calling thread with the same config', async () => {
    const path = join(dir, 'small.log');
    await writeFile(path, 'bob@example.com 10.0.0.1\n');
    const sut = await scanFileParallel(path, { config: { enabledTypes: ['IPv4'] } });
    expect(sut.map((s) => s.original.toString())).toEqual(['10.0.0.1']);
  });
});

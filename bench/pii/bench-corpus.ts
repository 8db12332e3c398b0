import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { generateCorpus } from '@tftsr/pii/corpus/corpus-generator';

export interface CorpusFile {
  path: string;
  bytes: number;
  source: string;
}

/** One copy of the loghub samples, or 8 MiB of generated log lines when they are not there. */
function seed(loghubDir: string): { bytes: Buffer; source: string } {
  const logs = existsSync(loghubDir)
    ? readdirSync(loghubDir)
        .filter((f) => f.endsWith('.log'))
        .sort()
    : [];
  if (logs.length > 0) {
    return {
      bytes: Buffer.concat(logs.map((f) => readFileSync(join(loghubDir, f)))),
      source: `${logs.length} loghub samples from ${loghubDir}`,
    };
  }
  return { bytes: generateCorpus({ seed: 1, targetBytes: 8 << 20 }).bytes, source: 'generated log lines (loghub samples not found)' };
}

/** Repeats the seed into a file of at least `target` bytes; reused when it already exists at that size. */
export async function corpusFile(dir: string, target: number, loghubDir: string): Promise<CorpusFile> {
  await mkdir(dir, { recursive: true });
  const { bytes, source } = seed(loghubDir);
  const copies = Math.ceil(target / bytes.length);
  const path = join(dir, `corpus-${Math.round(target / 2 ** 20)}MiB.log`);
  if (!existsSync(path) || statSync(path).size !== copies * bytes.length) {
    const out = createWriteStream(path);
    for (let i = 0; i < copies; i++) if (!out.write(bytes)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
  return { path, bytes: copies * bytes.length, source };
}

/** A file of at least `target` bytes made of copies of `from`, for the memory measurement. */
export async function grownFile(from: CorpusFile, target: number): Promise<CorpusFile> {
  const path = from.path.replace(/\.log$/, `-x${Math.ceil(target / from.bytes)}.log`);
  const copies = Math.ceil(target / from.bytes);
  if (!existsSync(path) || statSync(path).size !== copies * from.bytes) {
    await writeFile(path, '');
    for (let i = 0; i < copies; i++) await pipeline(createReadStream(from.path), createWriteStream(path, { flags: 'a' }));
  }
  return { path, bytes: copies * from.bytes, source: from.source };
}

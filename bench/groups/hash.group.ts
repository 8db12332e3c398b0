import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HasherService } from '@tftsr/worker/hasher.service';
import { deriveKey } from '@tftsr/db';
import { FsBlobStore } from '@tftsr/storage';
import { DB_KEY } from '../support/app-stack';
import type { BenchGroup } from '../support/context';
import { repeatedLog } from '../support/log-corpus';
import { alternate, seconds } from '../support/stats';

const mbps = (bytes: number, s: number): number => bytes / 1e6 / s;

/** The hash job's own service on a real encrypted blob, against `openssl dgst -sha256` on the plaintext. */
export const hashGroup: BenchGroup = {
  name: 'SHA-256 of a stored blob',
  needs: { 'hash-blob': ['openssl'] },
  async run(ctx) {
    const bytes = ctx.scale.hashBytes;
    const plain = join(ctx.scratch, 'plain.log');
    await pipeline(repeatedLog(bytes, 'sparse'), createWriteStream(plain));
    const dataDir = join(ctx.scratch, 'data');
    const blobs = new FsBlobStore(dataDir, deriveKey(DB_KEY, 'blob-encryption'));
    const stored = await blobs.write(createReadStream(plain));
    const hasher = new HasherService(blobs);
    const cpu = ctx.pinning.clientCpu;
    let ourDigest = '';
    let theirDigest = '';
    const runs = await ctx.pinning.self(cpu, () =>
      alternate(
        1,
        ctx.options.runs,
        async () => {
          const t = process.hrtime.bigint();
          ourDigest = (await hasher.hashBlob(stored.path)).sha256;
          return mbps(bytes, seconds(t));
        },
        async () => {
          const [cmd, args] = ctx.pinning.command(cpu, 'openssl', ['dgst', '-sha256', '-r', plain]);
          const t = process.hrtime.bigint();
          const r = spawnSync(cmd, args, { encoding: 'utf8' });
          const s = seconds(t);
          if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
          theirDigest = r.stdout.split(' ')[0];
          return mbps(bytes, s);
        },
      ),
    );
    if (ourDigest !== theirDigest) throw new Error(`digests differ: ours ${ourDigest}, openssl ${theirDigest}`);
    return {
      'hash-blob': {
        runs,
        warmups: 1,
        pinning: ctx.pinning.describe(`the bench process (HasherService) and openssl both pinned to CPU ${cpu}`),
        details: {
          plaintext_bytes: bytes,
          stored_bytes: statSync(join(dataDir, stored.path)).size,
          blob_chunk: '64 KiB AES-256-GCM chunks',
          read_buffer: '1 MiB (16 whole sealed chunks, one reused buffer)',
        },
      },
    };
  },
};

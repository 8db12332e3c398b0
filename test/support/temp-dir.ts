import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory per test; removed by the returned function. */
export function makeTempDir(prefix = 'tftsr-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A unique BullMQ prefix per test file, so runs sharing one Redis never see each other's jobs. */
export function uniqueQueuePrefix(label: string): string {
  return `tftsr-test-${label}-${process.pid}-${Date.now().toString(36)}`;
}

export const TEST_KEY = 'correct horse battery staple';

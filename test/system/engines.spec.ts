import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const ROOT = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } | string[]; os?: string[]; cpu?: string[]; optional?: boolean }>;
};

/** Node versions we say we run on: the oldest our engines allow, and the lines the image and users run. */
const VERSIONS = [semver.minVersion(pkg.engines.node)!.version, '22.12.0', '24.0.0'];

/** Packages npm installs on Linux x64 or arm64 (the image, CI): optional ones for other systems or CPUs never are. */
const elsewhere = (p: { os?: string[]; cpu?: string[] }) =>
  (p.os !== undefined && !p.os.includes('linux')) || (p.cpu !== undefined && !p.cpu.some((c) => c === 'x64' || c === 'arm64'));
const installed = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !(p.optional && elsewhere(p)));

describe('declared Node engines', () => {
  it.each(VERSIONS)('every package in the lockfile accepts Node %s, so npm ci warns of no EBADENGINE', (version) => {
    const refusing = installed
      .filter(([, p]) => !Array.isArray(p.engines) && p.engines?.node && !semver.satisfies(version, p.engines.node))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('our own engines range includes each of them', () => {
    expect(VERSIONS.filter((v) => !semver.satisfies(v, pkg.engines.node))).toEqual([]);
  });
});

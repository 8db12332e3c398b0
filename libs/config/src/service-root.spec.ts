import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { findServicePackage } from './service-root';

describe('findServicePackage', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  const packageJson = (dir: string, content: object) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify(content));
  };

  it("walks past a workspace's own package.json to the one named tftsr-service", () => {
    packageJson(temp.dir, { name: 'tftsr-service', version: '1.2.3' });
    packageJson(join(temp.dir, 'libs', 'cli'), { name: '@tftsr/cli', version: '0.0.0' });
    const from = join(temp.dir, 'libs', 'cli', 'dist', 'src');
    mkdirSync(from, { recursive: true });
    expect(findServicePackage(from)).toEqual({ dir: temp.dir, version: '1.2.3' });
  });

  it('finds this repository from its sources', () => {
    expect(findServicePackage(__dirname)).toEqual({ dir: join(__dirname, '..', '..', '..'), version: expect.any(String) });
  });

  it('is undefined outside the service', () => {
    packageJson(temp.dir, { name: 'something-else' });
    expect(findServicePackage(temp.dir)).toBeUndefined();
  });
});

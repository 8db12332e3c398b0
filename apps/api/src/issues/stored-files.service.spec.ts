import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../../../libs/config/src';
import { FsBlobStore } from '../../../../libs/storage/src';
import { makeTempDir } from '../../../../test/support/temp-dir';
import { ApiConfig } from '../config/api.config';
import { StoredFiles } from './stored-files.service';

describe('StoredFiles', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let outside: ReturnType<typeof makeTempDir>;
  let sut: StoredFiles;

  beforeEach(() => {
    temp = makeTempDir();
    outside = makeTempDir();
    mkdirSync(join(temp.dir, 'blobs', 'ab'), { recursive: true });
    sut = new StoredFiles(loadConfig(ApiConfig, { TFTSR_DATA_DIR: temp.dir }), new FsBlobStore(temp.dir, randomBytes(32)));
  });
  afterEach(() => {
    temp.remove();
    outside.remove();
  });

  const file = (path: string) => {
    writeFileSync(path, 'x');
    return path;
  };

  it('deletes files under blobs/, given absolute or relative to the data directory, and ignores missing ones', () => {
    const absolute = file(join(temp.dir, 'blobs', 'ab', 'one'));
    file(join(temp.dir, 'blobs', 'ab', 'two'));
    sut.removeAll('issue', [absolute, 'blobs/ab/two', 'blobs/ab/never-written']);
    expect([existsSync(absolute), existsSync(join(temp.dir, 'blobs', 'ab', 'two'))]).toEqual([false, false]);
  });

  it('never deletes outside blobs/: not by a ../ path, not through a symlinked directory, not a user’s own file', () => {
    const database = file(join(temp.dir, 'tftsr.db'));
    const precious = file(join(outside.dir, 'precious.log'));
    symlinkSync(outside.dir, join(temp.dir, 'blobs', 'link'));
    sut.removeAll('issue', ['blobs/../tftsr.db', join(temp.dir, 'blobs', 'link', 'precious.log'), precious]);
    expect([existsSync(database), existsSync(precious)]).toEqual([true, true]);
  });
});

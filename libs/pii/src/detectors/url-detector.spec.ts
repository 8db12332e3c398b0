import { detect } from '../../test-support/detect';

describe('URL with credentials', () => {
  it.each([
    'postgres://app:s3cr3t@db.example.com:5432/prod?sslmode=require',
    'https://admin:hunter2@10.0.0.5/',
    'redis://:p4ssw0rd@cache:6379/0',
    'mongodb+srv://etl-user:Xy9$kk@cluster0.abcde.mongodb.net/db',
    'amqp://guest:guest@rabbitmq:5672/vhost',
  ])('covers the whole of %s', (url) => {
    expect(detect(`connecting to ${url} now`)).toEqual([{ type: 'URL', value: url }]);
  });

  it('stops before sentence punctuation and a closing bracket', () => {
    expect(detect('(see ftp://u:p4ss@ftp.example.org/pub).')).toEqual([{ type: 'URL', value: 'ftp://u:p4ss@ftp.example.org/pub' }]);
  });

  it('does not report a URL without a password as URL', () => {
    expect(detect('ssh://git@example.com/repo.git').map((f) => f.type)).not.toContain('URL');
    expect(detect('https://example.com/a:b@c').map((f) => f.type)).not.toContain('URL');
  });

  it('does not flag a masked password', () => {
    expect(detect('dsn=postgres://app:****@db/prod')).toEqual([]);
  });
});

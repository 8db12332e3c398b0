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

describe('URL with a password that was not percent-encoded', () => {
  // The user-info ends at the last "@" before the host, so "#", "/", "?" and "@" inside the password are covered.
  it.each([
    [
      '2024-03-01T10:00:01Z ERROR db: cannot connect to postgres://app:p#ss@w/rd?x@db.example.com:5432/prod (timeout)',
      'postgres://app:p#ss@w/rd?x@db.example.com:5432/prod',
    ],
    ['Mar  1 10:00:02 web1 app[311]: dsn=mysql://root:a/b?c#d@10.0.0.5:3306/app', 'mysql://root:a/b?c#d@10.0.0.5:3306/app'],
    ['level=warn msg="redis down" url=redis://:p@ss#1@cache.internal:6379/0', 'redis://:p@ss#1@cache.internal:6379/0'],
    ['{"broker":"amqp://svc:Tr1cky/P@ss?w0rd@rabbit-01:5672/vhost","retry":3}', 'amqp://svc:Tr1cky/P@ss?w0rd@rabbit-01:5672/vhost'],
    ['smtp relay smtp://alerts@example.com:S3cr#t@smtp.example.com:587 refused', 'smtp://alerts@example.com:S3cr#t@smtp.example.com:587'],
  ])('covers every byte of the password in %s', (line, url) => {
    expect(detect(line)).toEqual([{ type: 'URL', value: url }]);
  });

  it('still reads a port and a path with an address in it as a port, not a password', () => {
    expect(detect('GET https://example.com:8443/users/bob@example.com/profile 200')).toEqual([
      { type: 'Hostname', value: 'example.com' },
      { type: 'Email', value: 'bob@example.com' },
    ]);
    expect(detect('see https://example.com/a:b@c now').map((f) => f.type)).not.toContain('URL');
  });
});

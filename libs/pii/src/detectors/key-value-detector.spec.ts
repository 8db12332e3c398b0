import { detect, typeCovering } from '../../test-support/detect';

describe('Password', () => {
  it.each([
    ['password=hunter2', 'password=hunter2'],
    ['{"password": "P@ss w0rd!"}', '"password": "P@ss w0rd!"'],
    ['{"password":"s3cr3t"}', '"password":"s3cr3t"'],
    ['pwd: Winter2024#', 'pwd: Winter2024#'],
    ['passwd=abc123 user=bob', 'passwd=abc123'],
    ['PGPASSWORD=Tr0ub4dor&3 psql', 'PGPASSWORD=Tr0ub4dor&3'],
    ['spring.datasource.password=changeme', 'spring.datasource.password=changeme'],
    ['Server=db;User Id=sa;Password=Xy9!zz;Database=app', 'Password=Xy9!zz'],
    ['user=bob&password=p4ss&remember=1', 'password=p4ss'],
    ['<password>s3cret</password>', '<password>s3cret</password>'],
    ['--password hunter2 --verbose', '--password hunter2'],
    ['pass: abc123!!', 'pass: abc123!!'],
    ['secret=topsecret42', 'secret=topsecret42'],
    ['client_secret: 8fh3kd93kdl', 'client_secret: 8fh3kd93kdl'],
    ["{'password': 'hunter2'}", "'password': 'hunter2'"],
    ['{\\"password\\":\\"hunter2\\"}', '\\"password\\":\\"hunter2\\"'],
    ['the password is hunter2!', 'password is hunter2!'],
    ['dbPassword=abc', 'dbPassword=abc'],
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic dXNlcjpwYXNzd29yZA=='],
    ['{"Proxy-Authorization": "basic dXNlcjpwYXNzd29yZA=="}', '"Proxy-Authorization": "basic dXNlcjpwYXNzd29yZA=="'],
  ])('finds %s', (text, span) => {
    expect(detect(text)).toEqual([{ type: 'Password', value: span }]);
  });

  it.each([
    'Failed password for invalid user admin from host port 22 ssh2',
    'Accepted password for root',
    'pam_unix(sshd:auth): check pass; user unknown',
    'password policy updated',
    'password strength: weak',
    'bypass: enabled',
    'compass=north',
    'PWD=/home/alice',
    'password: ********',
    'password=[REDACTED]',
    'password=${DB_PASSWORD}',
    'password: null',
    'password_policy=strict',
    'PasswordAuthentication no',
    'password: expired',
    'secret: ',
    'basic auth enabled, token refresh scheduled',
  ])('leaves %s alone', (text) => {
    expect(detect(text)).toEqual([]);
  });
});

describe('ApiKey', () => {
  const key = 'a8f3k2m9q7w1e5r4t6y8u0i2';
  it.each([
    [`api_key=${key}`, `api_key=${key}`],
    [`X-API-Key: ${key}`, `X-API-Key: ${key}`],
    [`{"apikey":"${key}"}`, `"apikey":"${key}"`],
    [`"apiKey": "${key}"`, `"apiKey": "${key}"`],
    [`access_token=${key}&x=1`, `access_token=${key}`],
    [`Authorization: Token ${key}`, `Authorization: Token ${key}`],
    [
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ],
    [`token=${key}`, `token=${key}`],
  ])('finds %s', (text, span) => {
    expect(detect(text)).toEqual([{ type: 'ApiKey', value: span }]);
  });

  it.each([
    'api_key=short',
    'api key rotated for tenant 42',
    'cache_key=user:1234:profile',
    'keyId: -127633188',
    'token=Token{a64f992 ActivityRecord}',
    'tokens=3 token_count=12',
    'primary_key=8f14e45fceea167a5a36dedd4bea2543',
    'private_key: /etc/ssl/private/server.key',
    'api_key=abcdefghijklmnopqrstuvwx',
  ])('leaves %s alone', (text) => {
    expect(detect(text)).toEqual([]);
  });
});

describe('Bearer', () => {
  it('covers the word Bearer and the token, like the desktop app', () => {
    expect(detect('Authorization: Bearer abc123DEF456ghi789')).toEqual([{ type: 'Bearer', value: 'Bearer abc123DEF456ghi789' }]);
  });

  it('is case-insensitive', () => {
    expect(typeCovering('header bearer Zm9vYmFyYmF6MTIz rejected', 'Zm9vYmFyYmF6MTIz')).toBe('Bearer');
  });

  it('reports a bearer_token key as Bearer', () => {
    expect(detect('{"bearer_token": "abc123DEF456ghi789"}')).toEqual([{ type: 'Bearer', value: '"bearer_token": "abc123DEF456ghi789"' }]);
  });

  it('does not flag prose or a challenge header', () => {
    expect(detect('bearer authentication failed')).toEqual([]);
    expect(detect('WWW-Authenticate: Bearer realm="api"')).toEqual([]);
  });
});

describe('SSN after an ssn key', () => {
  it.each(['ssn=123456789', 'SSN: 123 45 6789', '"ssn":"123-45-6789"'])('finds the number in %s', (text) => {
    expect(detect(text).map((f) => f.type)).toEqual(['SSN']);
  });

  it('checks the number like a dashed one', () => {
    expect(detect('ssn=000456789')).toEqual([]);
  });
});

describe('framework secrets', () => {
  it.each([
    [
      'Rails',
      'I, [2024-03-01T10:00:00] config.secret_key_base = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928"',
      '9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928',
    ],
    ['Rails env', 'SECRET_KEY_BASE=9f8e7d6c5b4a39281706f5e4d3c2b1a0', '9f8e7d6c5b4a39281706f5e4d3c2b1a0'],
    ['Django', "settings.py: SECRET_KEY = 'django-insecure-h7x!k2@p9#q$w8e&r5t*y6u'", 'django-insecure-h7x!k2@p9#q$w8e&r5t*y6u'],
    ['Flask', "app.secret_key = 'c0ffee!c0ffee?bean'", 'c0ffee!c0ffee?bean'],
    ['Laravel', 'APP_KEY=base64:Qk9PTXN0aWNrMTIzNDU2Nzg5MGFiY2RlZmdoaWpr=', 'base64:Qk9PTXN0aWNrMTIzNDU2Nzg5MGFiY2RlZmdoaWpr='],
  ])('finds the %s secret', (_framework, line, secret) => {
    expect(typeCovering(line, secret)).toBe('ApiKey');
  });

  it('leaves placeholders alone', () => {
    expect(detect("SECRET_KEY = '${SECRET_KEY}' and secret_key_base: <generated>")).toEqual([]);
  });
});

import { detect, typeCovering } from '../../test-support/detect';

const body = [
  'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  'VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK',
  'LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo',
];
const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body.join('\n')}\n-----END RSA PRIVATE KEY-----`;

describe('PrivateKey', () => {
  it('covers a whole PEM block across lines', () => {
    expect(detect(`2024-01-01 ERROR bad key:\n${pem}\nnext line`)).toEqual([{ type: 'PrivateKey', value: pem }]);
  });

  it('covers a block with JSON-escaped line breaks', () => {
    const escaped = pem.replace(/\n/g, '\\n');
    expect(typeCovering(`{"private_key": "${escaped}\\n", "client_email": "x"}`, escaped)).toBe('PrivateKey');
  });

  it.each(['PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'PGP PRIVATE KEY BLOCK'])(
    'knows the %s label',
    (label) => {
      const block = `-----BEGIN ${label}-----\n${body[0]}\n-----END ${label}-----`;
      expect(detect(block)).toEqual([{ type: 'PrivateKey', value: block }]);
    },
  );

  it('still hides the body when the END line is missing', () => {
    const truncated = `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}`;
    expect(detect(`${truncated}\n2024-01-01 INFO next entry`)).toEqual([{ type: 'PrivateKey', value: truncated }]);
  });

  it('does not flag a public key or a certificate', () => {
    expect(detect(`-----BEGIN PUBLIC KEY-----\n${body[0]}\n-----END PUBLIC KEY-----`)).toEqual([]);
    expect(detect(`-----BEGIN CERTIFICATE-----\n${body[0]}\n-----END CERTIFICATE-----`)).toEqual([]);
  });
});

const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('JWT', () => {
  it.each([`jwt=${jwt}`, `"id_token":"${jwt}"`, `Cookie: session=${jwt};`, `token=${jwt}`])('finds a token in %s', (text) => {
    expect(typeCovering(text, jwt)).toBe('JWT');
  });

  it('accepts an unsigned token (alg none, empty signature)', () => {
    const unsigned = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    expect(typeCovering(`jwt=${unsigned} ok`, unsigned)).toBe('JWT');
  });

  it('reports "Bearer <jwt>" as Bearer, the desktop app\'s type for it', () => {
    expect(detect(`Authorization: Bearer ${jwt}`)).toEqual([{ type: 'Bearer', value: `Bearer ${jwt}` }]);
  });

  it('does not flag dotted base64 that is not a JWT', () => {
    expect(detect('eyJub3QgYSBqd3Q.aGVsbG8gd29ybGQ.c2lnbmF0dXJl')).toEqual([]);
  });
});

describe('AwsAccessKey', () => {
  it.each(['AKIAIOSFODNN7EXAMPLE', 'ASIAY34FZKBOKMUTVV7A'])('finds %s', (key) => {
    expect(detect(`aws_access_key_id=${key}`)).toEqual([{ type: 'AwsAccessKey', value: key }]);
  });

  it('ignores the prefix inside a longer identifier', () => {
    expect(detect('XAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLEXX')).toEqual([]);
  });
});

describe('GitHubToken', () => {
  const classic = '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';
  const fineGrained = 'github_pat_11ABCDEFG0abcdefghijkl_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456';

  it('finds classic and fine-grained tokens', () => {
    expect(typeCovering(`GITHUB_TOKEN=${classic}`, classic)).toBe('GitHubToken');
    expect(typeCovering(`token ${fineGrained} used`, fineGrained)).toBe('GitHubToken');
  });

  it('ignores a prefix with too few characters after it', () => {
    expect(detect('ghp_short123')).toEqual([]);
  });
});

describe('SlackToken', () => {
  it.each(['xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'xoxp-1234-5678-91011-00112233445566778899aabbccddeeff'])(
    'finds %s',
    (token) => expect(typeCovering(`SLACK_TOKEN=${token}`, token)).toBe('SlackToken'),
  );

  it.each(['https://', 'http://', ''])('covers an incoming-webhook URL (%s)', (scheme) => {
    const hook = `${scheme}hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`;
    expect(detect(`webhook=${hook}`)).toEqual([{ type: 'SlackToken', value: hook }]);
  });
});

describe('vendor API keys', () => {
  it.each([
    'AIzaSyA1234567890abcdefghijklmnopqrstuv',
    'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
    'rk_test_51H8abcdefghijklmnopqrstuv',
    'SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  ])('reports %s as ApiKey without a key name', (key) => {
    expect(detect(`using ${key} for requests`)).toEqual([{ type: 'ApiKey', value: key }]);
  });
});

describe('npm access tokens', () => {
  const token = 'npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAB7C';

  it.each([
    `npm notice: using auth ${token} for registry.npmjs.org`,
    `//registry.npmjs.org/:_authToken=${token}`,
    `{"level":"error","msg":"publish failed","token":"${token}"}`,
  ])('finds the token in %s', (line) => {
    expect(typeCovering(line, token)).toBe('ApiKey');
  });

  it('needs exactly 36 base62 characters after npm_', () => {
    expect(detect('npm_install_failed and npm_Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z')).toEqual([]);
  });
});

/**
 * Integration base URLs that must never be reached: the matrix of shared/reference/reliability-and-security.md
 * §6, test 21, plus other spellings of the same addresses and allow-list look-alikes. Unit tests check the URL
 * policy with it; end-to-end tests check that the API refuses each at save time and nothing connects.
 */
export const SSRF_MATRIX: readonly string[] = [
  'http://127.0.0.1',
  'http://[::1]',
  'http://[::]',
  'http://[::ffff:127.0.0.1]',
  'http://[::ffff:7f00:1]',
  'http://[64:ff9b::7f00:1]',
  'http://169.254.169.254',
  'http://0.0.0.0',
  'http://2130706433',
  'http://10.0.0.5.nip.io',
  'https://127.0.0.1',
  'https://[::ffff:7f00:1]',
  'https://[::ffff:127.0.0.1]',
  'https://2130706433',
  'https://0x7f000001',
  'https://0x7f.1',
  'https://169.254.169.254/latest/meta-data',
  'https://10.0.0.5.nip.io',
  'https://rebinding.attacker.example',
  'https://acme.atlassian.net.evil.example',
  'https://atlassian.net',
  'https://evil.example/acme.atlassian.net',
  'https://evil.example/?x=.atlassian.net',
  'https://user:pass@acme.atlassian.net',
  'https://acme.atlassian.net:8443',
  'https://acme.atlassian.net\n.evil.example',
  'ftp://acme.atlassian.net',
  'not a url',
];

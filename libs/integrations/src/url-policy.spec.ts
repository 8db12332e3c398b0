import { checkBaseUrl, hostMatches } from './url-policy';

describe('checkBaseUrl', () => {
  it.each([
    ['confluence', 'https://acme.atlassian.net/wiki'],
    ['servicenow', 'https://acme.service-now.com'],
    ['azuredevops', 'https://dev.azure.com/acme'],
    ['azuredevops', 'https://acme.visualstudio.com'],
  ] as const)('accepts the %s cloud host %s', (service, url) => {
    expect(checkBaseUrl(url, service)).toMatchObject({ ok: true });
  });

  // The SSRF matrix of shared/reference/reliability-and-security.md §6, test 21, plus spellings of the same hosts.
  it.each([
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
    'https://2130706433',
    'https://0x7f.1',
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.5.nip.io',
    'https://acme.atlassian.net.evil.example',
    'https://atlassian.net',
    'https://evil.example/?x=.atlassian.net',
    'https://user:pass@acme.atlassian.net',
    'https://acme.atlassian.net:8443',
    'https://acme.atlassian.net\n.evil.example',
    'ftp://acme.atlassian.net',
    'not a url',
  ])('refuses %s', (url) => {
    expect(checkBaseUrl(url, 'confluence')).toMatchObject({ ok: false, reason: expect.any(String) });
  });

  it('accepts an on-premise host only when an admin added it', () => {
    expect(checkBaseUrl('https://jira.corp.example', 'confluence').ok).toBe(false);
    expect(checkBaseUrl('https://jira.corp.example', 'confluence', ['jira.corp.example']).ok).toBe(true);
  });

  it('matches a wildcard against subdomains only', () => {
    expect(hostMatches('a.atlassian.net', '*.atlassian.net')).toBe(true);
    expect(hostMatches('atlassian.net', '*.atlassian.net')).toBe(false);
    expect(hostMatches('evilatlassian.net', '*.atlassian.net')).toBe(false);
  });
});

import { SSRF_MATRIX } from '@tftsr/test-support/ssrf-matrix';
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

  it.each(SSRF_MATRIX)('refuses %s', (url) => {
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

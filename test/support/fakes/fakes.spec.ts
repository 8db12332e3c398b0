import { fetch } from 'undici';
import { FakeAzureDevOps } from './fake-azure-devops';
import { FakeConfluence } from './fake-confluence';
import { FakeServiceNow } from './fake-servicenow';

/** The fakes themselves: a client that breaks the contract is answered as the real service would, and noted. */
describe('fake remote services', () => {
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  const json = { accept: 'application/json', 'content-type': 'application/json' };

  it('Confluence: unknown routes, wrong auth, wrong media type and a missing field are refused and recorded', async () => {
    const fake = await FakeConfluence.start({ auth: { email: 'a@example.com', token: 't' } });
    const auth = basic('a@example.com', 't');
    expect(
      (await fetch(`${fake.baseUrl}/wiki/rest/api/content`, { headers: { authorization: auth, accept: 'application/json' } })).status,
    ).toBe(404);
    expect(
      (await fetch(`${fake.baseUrl}/wiki/api/v2/spaces?keys=ENG`, { headers: { authorization: 'Bearer t', accept: 'application/json' } }))
        .status,
    ).toBe(401);
    const page = { spaceId: '65537', status: 'current', title: 'T', body: { representation: 'storage', value: '<p/>' } };
    expect(
      (
        await fetch(`${fake.baseUrl}/wiki/api/v2/pages`, {
          method: 'POST',
          headers: { authorization: auth, accept: 'application/json', 'content-type': 'text/plain' },
          body: JSON.stringify(page),
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await fetch(`${fake.baseUrl}/wiki/api/v2/pages`, {
          method: 'POST',
          headers: { authorization: auth, ...json },
          body: JSON.stringify({ ...page, status: undefined }),
        })
      ).status,
    ).toBe(400);
    expect(fake.violations).toHaveLength(4);
    expect(fake.objects).toHaveLength(0);
    expect(fake.requests.map((r) => r.authOk)).toEqual([true, false, true, true]);
    expect(fake.requests.every((r) => !('authorization' in r.headers))).toBe(true);
    await fake.close();
  });

  it('Confluence: a storage body that is not well-formed XML 1.0 is a 400 "Error parsing xhtml", as the real service answers', async () => {
    const fake = await FakeConfluence.start({ auth: { email: 'a@example.com', token: 't' } });
    const headers = { authorization: basic('a@example.com', 't'), ...json };
    for (const value of ['<p>\u001b[31mred</p>', '<p>\ufffe</p>', '<p>unclosed', '<p>\ud800</p>']) {
      const page = { spaceId: '65537', status: 'current', title: `T ${value.length}`, body: { representation: 'storage', value } };
      const res = await fetch(`${fake.baseUrl}/wiki/api/v2/pages`, { method: 'POST', headers, body: JSON.stringify(page) });
      expect([res.status, await res.text()]).toEqual([400, expect.stringContaining('Error parsing xhtml')]);
    }
    expect(fake.objects).toHaveLength(0);
    await fake.close();
  });

  it('ServiceNow: an incident without correlation_id is a 400 and a violation', async () => {
    const fake = await FakeServiceNow.start({ username: 'u', password: 'p' });
    const res = await fetch(`${fake.baseUrl}/api/now/table/incident`, {
      method: 'POST',
      headers: { authorization: basic('u', 'p'), ...json },
      body: JSON.stringify({ short_description: 'x', description: 'y', urgency: '1', impact: '1' }),
    });
    expect(res.status).toBe(400);
    expect(fake.violations).toEqual([expect.stringContaining('correlation_id')]);
    await fake.close();
  });

  it('Azure DevOps: a bearer PAT gets the 203 sign-in page; a create without json-patch is a 415', async () => {
    const fake = await FakeAzureDevOps.start({ pat: 'pat' });
    const bearer = await fetch(`${fake.baseUrl}/_apis/projects/Fabrikam%20Fiber?api-version=7.1`, {
      headers: { authorization: 'Bearer pat', accept: 'application/json' },
    });
    expect([bearer.status, bearer.headers.get('content-type')]).toEqual([203, 'text/html; charset=utf-8']);
    const ops = [{ op: 'add', path: '/fields/System.Title', value: 'x' }];
    const create = await fetch(`${fake.baseUrl}/Fabrikam%20Fiber/_apis/wit/workitems/$Bug?api-version=7.1`, {
      method: 'POST',
      headers: { authorization: basic('', 'pat'), ...json },
      body: JSON.stringify(ops),
    });
    expect(create.status).toBe(415);
    const noVersion = await fetch(`${fake.baseUrl}/Fabrikam%20Fiber/_apis/wit/workitems/1`, {
      headers: { authorization: basic('', 'pat'), accept: 'application/json' },
    });
    expect([noVersion.status, await noVersion.text()]).toEqual([400, expect.stringContaining('api-version is missing')]);
    expect(fake.violations).toHaveLength(3);
    await fake.close();
  });

  it('injects faults in order, counts connections, and closes with a request still hanging', async () => {
    const fake = await FakeServiceNow.start({ username: 'u', password: 'p' });
    fake.failNext('list', { status: 503, retryAfter: '3' }, 2);
    fake.failNext('list', { hang: true });
    const url = `${fake.baseUrl}/api/now/table/incident?sysparm_limit=1`;
    const headers = { authorization: basic('u', 'p'), accept: 'application/json' };
    const first = await fetch(url, { headers });
    expect([first.status, first.headers.get('retry-after')]).toEqual([503, '3']);
    expect((await fetch(url, { headers })).status).toBe(503);
    const hung = fetch(url, { headers }).catch((err: Error) => err);
    while (fake.requests.length < 3) await new Promise((resolve) => setImmediate(resolve));
    await fake.close();
    expect(await hung).toBeInstanceOf(Error);
    expect(fake.connections).toBeGreaterThanOrEqual(1);
    expect(fake.violations).toEqual([]);
  });
});

import type { IntegrationHttp } from '../integration-http';
import type { JsonCall, PublisherHttpOptions } from './http';
import { basicAuth, endpoint, field, isArray, isNumber, isObject, isString, JsonClient, secretsOf } from './http';
import { clip, hasMarker, withMarker } from './marker';
import type { PublishAuth, PublishContent, Publisher, PublishTarget, RemoteObject } from './types';
import { PublishError } from './types';

const DUPLICATE_TITLE = 'A page with this title already exists';
/** Confluence refuses titles over 255 characters; the same clipped title is used to search. */
const MAX_TITLE = 255;

type Page = Record<string, unknown>;

/**
 * Confluence Cloud, REST v2, storage format. Pages are found again by the marker footer in their body; a page
 * with our title but without our marker belongs to someone else and is never overwritten.
 */
export class ConfluencePublisher implements Publisher {
  private readonly client: JsonClient;
  private readonly authorization: string;
  private readonly spaceIds = new Map<string, string>();

  constructor(http: IntegrationHttp, auth: PublishAuth, options: PublisherHttpOptions = {}) {
    // API tokens are basic auth with the account e-mail; without a user name the secret is an OAuth bearer.
    this.authorization = auth.username ? basicAuth(auth.username, auth.secret) : `Bearer ${auth.secret}`;
    this.client = new JsonClient(http, { ...options, service: 'Confluence', secrets: secretsOf(auth.secret, this.authorization) });
  }

  async find(target: PublishTarget, content: PublishContent, knownId: string | null): Promise<RemoteObject | null> {
    if (knownId) return this.getPage(target, knownId);
    return this.findByMarker(target, content);
  }

  async create(target: PublishTarget, content: PublishContent): Promise<RemoteObject> {
    const spaceId = await this.spaceId(target);
    const parentId = target.options.parent_page_id;
    const call = this.request(
      'POST',
      target,
      '/wiki/api/v2/pages',
      {},
      {
        spaceId,
        status: 'current',
        title: clip(content.title, MAX_TITLE),
        ...(parentId ? { parentId } : {}),
        body: { representation: 'storage', value: withMarker(content.html, content.publicationId) },
      },
    );
    const reply = await this.client.call({ ...call, passStatuses: [400] });
    if (reply.status === 200) return this.toRemote(target, reply.body);
    if (!reply.text.includes(DUPLICATE_TITLE)) throw this.client.errorFor(call, reply);
    // The title is taken: by our own page when an earlier answer was lost, else by a human's page.
    const ours = await this.findByMarker(target, content);
    if (!ours) throw this.foreign(target, 'it may be a draft, archived or in the trash');
    return this.update(target, content, ours);
  }

  async update(target: PublishTarget, content: PublishContent, existing: RemoteObject): Promise<RemoteObject> {
    const current = existing.version ?? (await this.getPageOrThrow(target, existing.id)).version;
    const id = existing.id;
    const call = this.request(
      'PUT',
      target,
      `/wiki/api/v2/pages/${encodeURIComponent(id)}`,
      {},
      {
        id,
        status: 'current',
        title: clip(content.title, MAX_TITLE),
        body: { representation: 'storage', value: withMarker(content.html, content.publicationId) },
        version: { number: (current ?? 0) + 1, message: 'Updated by TFTSR' },
      },
    );
    return this.toRemote(target, (await this.client.call(call)).body);
  }

  async testConnection(target: PublishTarget): Promise<void> {
    await this.spaceId(target);
  }

  /** Space key → numeric id (v2 addresses spaces by id only), once per publisher. */
  private async spaceId(target: PublishTarget): Promise<string> {
    const key = target.spaceKey;
    if (!key) throw new PublishError('bad_request', 'Confluence needs a space key; set space_key in the integration config');
    const cacheKey = `${target.baseUrl.href} ${key}`;
    const cached = this.spaceIds.get(cacheKey);
    if (cached) return cached;
    const reply = await this.client.call(this.request('GET', target, '/wiki/api/v2/spaces', { keys: key, limit: '1' }));
    const results = field('Confluence GET /wiki/api/v2/spaces', reply.body, 'results', isArray);
    const space = results.find((s) => isObject(s) && s.key === key);
    if (!space) throw new PublishError('not_found', `Confluence space ${key} does not exist, or the account cannot see it`, 404);
    const id = String(field('Confluence space', space, 'id', (v): v is string | number => isString(v) || isNumber(v)));
    this.spaceIds.set(cacheKey, id);
    return id;
  }

  private async getPage(target: PublishTarget, id: string): Promise<RemoteObject | null> {
    try {
      return await this.getPageOrThrow(target, id);
    } catch (err) {
      if (err instanceof PublishError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  private async getPageOrThrow(target: PublishTarget, id: string): Promise<RemoteObject> {
    const reply = await this.client.call(
      this.request('GET', target, `/wiki/api/v2/pages/${encodeURIComponent(id)}`, { 'body-format': 'storage' }),
    );
    return this.toRemote(target, reply.body);
  }

  /** Same title in the space: ours if it carries our marker, a refusal if it does not, null if none. */
  private async findByMarker(target: PublishTarget, content: PublishContent): Promise<RemoteObject | null> {
    const spaceId = await this.spaceId(target);
    const title = clip(content.title, MAX_TITLE);
    const query = { 'space-id': spaceId, title, 'body-format': 'storage' };
    const reply = await this.client.call(this.request('GET', target, '/wiki/api/v2/pages', query));
    const pages = field('Confluence GET /wiki/api/v2/pages', reply.body, 'results', isArray).filter(isObject);
    const linksBase = isObject(reply.body) && isObject(reply.body._links) ? reply.body._links.base : undefined;
    const ours = pages.find((page) => hasMarker(storageBody(page), content.publicationId));
    if (ours) return this.toRemote(target, ours, linksBase);
    if (pages.length > 0) throw this.foreign(target, `page ${String(pages[0].id)}`);
    return null;
  }

  private foreign(target: PublishTarget, which: string): PublishError {
    return new PublishError(
      'foreign_object',
      `Confluence space ${target.spaceKey} already has a page with this document's title that TFTSR did not publish (${which}); rename the document or that page, it is never overwritten`,
    );
  }

  private toRemote(target: PublishTarget, page: unknown, listBase?: unknown): RemoteObject {
    const id = String(field('Confluence page', page, 'id', (v): v is string | number => isString(v) || isNumber(v)));
    const p = page as Page;
    const version = isObject(p.version) && isNumber(p.version.number) ? p.version.number : undefined;
    const links = isObject(p._links) ? p._links : {};
    const base = isString(links.base) ? links.base : isString(listBase) ? listBase : null;
    const url =
      base && isString(links.webui)
        ? `${base}${links.webui}`
        : `${trimSlash(target.baseUrl)}/wiki/spaces/${encodeURIComponent(target.spaceKey ?? '')}/pages/${id}`;
    return { id, url, version };
  }

  private request(
    method: JsonCall['method'],
    target: PublishTarget,
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): JsonCall {
    return { method, url: endpoint(confluenceBase(target.baseUrl), path, query), authorization: this.authorization, body };
  }
}

function storageBody(page: Page): string {
  const body = isObject(page.body) ? page.body : {};
  const storage = isObject(body.storage) ? body.storage : {};
  return isString(storage.value) ? storage.value : '';
}

/** Users often paste `https://site.atlassian.net/wiki`; our paths start with /wiki themselves. */
function confluenceBase(base: URL): URL {
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/wiki$/, '');
  return url;
}

function trimSlash(base: URL): string {
  return confluenceBase(base).href.replace(/\/+$/, '');
}

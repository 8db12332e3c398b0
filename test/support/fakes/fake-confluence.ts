import { xmlProblem } from '../xml-wellformed';
import type { Reply, RequestContext, Route } from './fake-server';
import { FakeServer, isNonEmptyString, isPlainObject } from './fake-server';

export type ConfluenceOperation = 'space' | 'get' | 'search' | 'create' | 'update';

/** API token as basic auth with the account e-mail, or an OAuth bearer. */
export type ConfluenceAuth = { email: string; token: string } | { bearer: string };

export interface FakeConfluenceOptions {
  auth: ConfluenceAuth;
  /** Default: one space, key ENG, id 65537. */
  spaces?: Array<{ id: string; key: string }>;
  /** Stands in for the OAuth gateway's base path, e.g. `/ex/confluence/<cloudId>`. Default none. */
  pathPrefix?: string;
}

export interface FakeConfluencePage {
  id: string;
  spaceId: string;
  title: string;
  parentId: string | null;
  version: number;
  /** Storage-format XHTML. */
  body: string;
}

export const DUPLICATE_TITLE_MESSAGE = 'A page with this title already exists: A page already exists with the same TITLE in this space';

/**
 * Confluence Cloud REST v2, only the calls the publisher makes: spaces by key, page by id, pages by space and
 * title, create (200, duplicate titles refused) and update (version must be current + 1).
 */
export class FakeConfluence extends FakeServer<ConfluenceOperation> {
  readonly objects: FakeConfluencePage[] = [];
  private readonly spaces: Array<{ id: string; key: string }>;
  private nextId = 1_000_001;

  constructor(private readonly options: FakeConfluenceOptions) {
    super();
    this.spaces = options.spaces ?? [{ id: '65537', key: 'ENG' }];
  }

  static start(options: FakeConfluenceOptions): Promise<FakeConfluence> {
    return new FakeConfluence(options).listen();
  }

  override get baseUrl(): string {
    return `${this.origin}${this.pathPrefix()}`;
  }

  /** A page someone else wrote (no marker), e.g. to prove ours never overwrites it. */
  seedPage(page: { spaceKey: string; title: string; body: string; parentId?: string }): FakeConfluencePage {
    const space = this.spaces.find((s) => s.key === page.spaceKey);
    if (!space) throw new Error(`no space ${page.spaceKey}`);
    const created = {
      id: String(this.nextId++),
      spaceId: space.id,
      title: page.title,
      parentId: page.parentId ?? null,
      version: 1,
      body: page.body,
    };
    this.objects.push(created);
    return created;
  }

  protected override pathPrefix(): string {
    return this.options.pathPrefix ?? '';
  }

  protected expectedAuthorization(): string {
    const auth = this.options.auth;
    return 'bearer' in auth ? `Bearer ${auth.bearer}` : `Basic ${Buffer.from(`${auth.email}:${auth.token}`).toString('base64')}`;
  }

  protected authFailure(): Reply {
    return this.error(401, 'Unauthorized; scope does not match');
  }

  protected errorBody(status: number, message: string): unknown {
    return { errors: [{ status, code: codeFor(status), title: message, detail: null }] };
  }

  protected route({ method, segments, query }: RequestContext): Route<ConfluenceOperation> | null {
    const [wiki, api, v2, collection, id, ...rest] = segments;
    if (wiki !== 'wiki' || api !== 'api' || v2 !== 'v2' || rest.length > 0) return null;
    if (collection === 'spaces' && id === undefined && method === 'GET') {
      return {
        operation: 'space',
        validate: () => (isNonEmptyString(query.keys) ? null : 'GET spaces without keys'),
        handle: () => this.listSpaces(query),
      };
    }
    if (collection !== 'pages') return null;
    if (id === undefined && method === 'GET')
      return { operation: 'search', validate: () => searchProblem(query), handle: () => this.search(query) };
    if (id === undefined && method === 'POST')
      return {
        operation: 'create',
        contentType: 'application/json',
        validate: (body) => this.createProblem(body),
        handle: (body) => this.create(body as CreateBody),
      };
    if (id !== undefined && method === 'GET') return { operation: 'get', handle: () => this.get(id, query) };
    if (id !== undefined && method === 'PUT')
      return {
        operation: 'update',
        contentType: 'application/json',
        validate: (body) => updateProblem(id, body),
        handle: (body) => this.update(id, body as UpdateBody),
      };
    return null;
  }

  private listSpaces(query: Record<string, string>): Reply {
    const keys = query.keys.split(',');
    const results = this.spaces
      .filter((s) => keys.includes(s.key))
      .map((s) => ({ id: s.id, key: s.key, name: s.key, type: 'global', status: 'current' }));
    return { status: 200, body: { results, _links: { base: this.wikiBase } } };
  }

  private search(query: Record<string, string>): Reply {
    const found = this.objects.filter((p) => p.spaceId === query['space-id'] && p.title === query.title);
    return { status: 200, body: { results: found.map((p) => this.pageJson(p, true, false)), _links: { base: this.wikiBase } } };
  }

  private get(id: string, query: Record<string, string>): Reply {
    const page = this.objects.find((p) => p.id === id);
    return page ? { status: 200, body: this.pageJson(page, query['body-format'] === 'storage', true) } : this.error(404, 'Not Found');
  }

  private createProblem(body: unknown): string | null {
    const problem = pageShapeProblem(body);
    if (problem) return problem;
    const b = body as CreateBody;
    if (!isNonEmptyString(b.spaceId) || !this.spaces.some((s) => s.id === b.spaceId))
      return `spaceId ${String(b.spaceId)} is not the numeric id of a space`;
    if (b.parentId !== undefined && !isNonEmptyString(b.parentId)) return 'parentId must be a non-empty string when given';
    return null;
  }

  private create(body: CreateBody): Reply {
    if (body.parentId && !this.objects.some((p) => p.id === body.parentId && p.spaceId === body.spaceId))
      return this.error(404, 'Parent page not found');
    if (this.titleTaken(body.spaceId, body.title, null)) return this.error(400, DUPLICATE_TITLE_MESSAGE);
    const page: FakeConfluencePage = {
      id: String(this.nextId++),
      spaceId: body.spaceId,
      title: body.title,
      parentId: body.parentId ?? null,
      version: 1,
      body: body.body.value,
    };
    this.objects.push(page);
    return { status: 200, body: this.pageJson(page, false, true) };
  }

  private update(id: string, body: UpdateBody): Reply {
    const page = this.objects.find((p) => p.id === id);
    if (!page) return this.error(404, 'Not Found');
    if (body.version.number !== page.version + 1) {
      this.violations.push(`PUT page ${id}: version ${body.version.number} is not current (${page.version}) + 1`);
      return this.error(409, `Version must be incremented on update. Current version is: ${page.version}`);
    }
    if (this.titleTaken(page.spaceId, body.title, id)) return this.error(400, DUPLICATE_TITLE_MESSAGE);
    Object.assign(page, { title: body.title, body: body.body.value, version: body.version.number });
    return { status: 200, body: this.pageJson(page, false, true) };
  }

  /** Confluence compares titles within a space without regard to case. */
  private titleTaken(spaceId: string, title: string, exceptId: string | null): boolean {
    return this.objects.some((p) => p.spaceId === spaceId && p.id !== exceptId && p.title.toLowerCase() === title.toLowerCase());
  }

  private get wikiBase(): string {
    return `${this.baseUrl}/wiki`;
  }

  private pageJson(page: FakeConfluencePage, withBody: boolean, withBase: boolean) {
    const key = this.spaces.find((s) => s.id === page.spaceId)?.key ?? '';
    return {
      id: page.id,
      status: 'current',
      title: page.title,
      spaceId: page.spaceId,
      parentId: page.parentId,
      parentType: page.parentId ? 'page' : null,
      version: { number: page.version, message: '', minorEdit: false, authorId: 'fake-account' },
      body: withBody ? { storage: { representation: 'storage', value: page.body } } : {},
      _links: {
        webui: `/spaces/${key}/pages/${page.id}/${encodeURIComponent(page.title).replace(/%20/g, '+')}`,
        editui: `/pages/resumedraft.action?draftId=${page.id}`,
        tinyui: `/x/${page.id}`,
        ...(withBase ? { base: this.wikiBase } : {}),
      },
    };
  }
}

interface PageBody {
  status: string;
  title: string;
  body: { representation: string; value: string };
}
type CreateBody = PageBody & { spaceId: string; parentId?: string };
type UpdateBody = PageBody & { id: string; version: { number: number } };

function searchProblem(query: Record<string, string>): string | null {
  if (!isNonEmptyString(query['space-id'])) return 'page search without space-id';
  if (!isNonEmptyString(query.title)) return 'page search without title';
  if (query['body-format'] !== 'storage') return 'page search without body-format=storage (the marker lives in the body)';
  return null;
}

function pageShapeProblem(body: unknown): string | null {
  if (!isPlainObject(body)) return 'the body is not a JSON object';
  if (body.status !== 'current') return `status must be "current", got ${JSON.stringify(body.status)}`;
  if (!isNonEmptyString(body.title) || body.title.length > 255) return 'title must be a non-empty string of at most 255 characters';
  const content = body.body;
  if (!isPlainObject(content) || content.representation !== 'storage' || typeof content.value !== 'string')
    return 'body must be {representation: "storage", value: string}';
  // The storage format is XML: Confluence refuses a body that is not well-formed XML 1.0, with this message.
  const xml = xmlProblem(content.value);
  return xml ? `Error parsing xhtml: ${xml}` : null;
}

function updateProblem(id: string, body: unknown): string | null {
  const problem = pageShapeProblem(body);
  if (problem) return problem;
  const b = body as Record<string, unknown>;
  if (b.id !== id) return `body id ${JSON.stringify(b.id)} does not match the page ${id} in the path`;
  if (!isPlainObject(b.version) || !Number.isInteger(b.version.number)) return 'version.number must be an integer';
  return null;
}

function codeFor(status: number): string {
  const codes: Record<number, string> = {
    400: 'BAD_REQUEST',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    429: 'TOO_MANY_REQUESTS',
  };
  return codes[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'ERROR');
}

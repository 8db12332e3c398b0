import type { Reply, RequestContext, Route } from './fake-server';
import { FakeServer, isNonEmptyString, isPlainObject } from './fake-server';

export type AzureDevOpsOperation = 'project' | 'get' | 'search' | 'create' | 'update';

export interface FakeAzureDevOpsOptions {
  /** The personal access token; the only accepted header is `Basic base64(":" + pat)`. */
  pat: string;
  /** Default `fabrikam`; baseUrl is `<origin>/<organization>`. */
  organization?: string;
  /** Default `['Fabrikam Fiber']` (a space, so URL encoding is exercised). */
  projects?: string[];
}

export interface FakeWorkItem {
  id: number;
  project: string;
  type: string;
  rev: number;
  fields: Record<string, string>;
  /** Discussion entries: System.History writes, each one a comment (the field itself is not kept). */
  comments: string[];
}

const WORK_ITEM_TYPES = ['Bug', 'Task', 'Issue', 'User Story', 'Product Backlog Item', 'Feature', 'Epic'];
const SEVERITIES = ['1 - Critical', '2 - High', '3 - Medium', '4 - Low'];
const WIQL =
  /^SELECT \[System\.Id\] FROM WorkItems WHERE \[System\.TeamProject\] = @project AND \[System\.Tags\] CONTAINS '((?:[^']|'')*)'$/;
const TF400733 =
  "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'WorkItemTracking' in namespace 'User'.";

/** What Azure DevOps sends instead of JSON when it does not accept the credentials. */
export const SIGN_IN_PAGE =
  '<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body><form action="https://login.microsoftonline.com/"><p>Sign in to your account</p></form></body></html>';

/**
 * Azure DevOps work items, api-version 7.1: project lookup, WIQL by tag, create with JSON Patch (200), get and
 * PATCH. Wrong credentials get 203 and an HTML sign-in page, as the real service answers.
 */
export class FakeAzureDevOps extends FakeServer<AzureDevOpsOperation> {
  readonly objects: FakeWorkItem[] = [];
  readonly organization: string;
  private readonly projects: string[];
  private nextId = 1;

  constructor(private readonly options: FakeAzureDevOpsOptions) {
    super();
    this.organization = options.organization ?? 'fabrikam';
    this.projects = options.projects ?? ['Fabrikam Fiber'];
  }

  static start(options: FakeAzureDevOpsOptions): Promise<FakeAzureDevOps> {
    return new FakeAzureDevOps(options).listen();
  }

  override get baseUrl(): string {
    return `${this.origin}${this.pathPrefix()}`;
  }

  protected override pathPrefix(): string {
    return `/${this.organization}`;
  }

  protected expectedAuthorization(): string {
    return `Basic ${Buffer.from(`:${this.options.pat}`).toString('base64')}`;
  }

  protected authFailure(): Reply {
    return { status: 203, html: SIGN_IN_PAGE };
  }

  protected errorBody(status: number, message: string): unknown {
    return {
      $id: '1',
      innerException: null,
      message,
      typeName: 'Microsoft.TeamFoundation.Framework.Server.FakeException',
      typeKey: 'FakeException',
      errorCode: 0,
      eventId: status >= 500 ? 0 : 3000,
    };
  }

  protected override faultMessage(status: number): string {
    return status === 429 ? TF400733 : super.faultMessage(status);
  }

  protected route({ method, segments, query }: RequestContext): Route<AzureDevOpsOperation> | null {
    const version = () => (query['api-version'] === '7.1' ? null : `api-version is ${query['api-version'] ?? 'missing'}, expected 7.1`);
    if (segments[0] === '_apis' && segments[1] === 'projects' && segments.length === 3 && method === 'GET') {
      return { operation: 'project', validate: version, handle: () => this.project(segments[2]) };
    }
    const [project, apis, wit, kind, last, ...rest] = segments;
    if (apis !== '_apis' || wit !== 'wit' || rest.length > 0) return null;
    if (kind === 'wiql' && last === undefined && method === 'POST') {
      return {
        operation: 'search',
        contentType: 'application/json',
        validate: (body) => version() ?? wiqlProblem(body),
        handle: (body) => this.wiql(project, body as { query: string }),
      };
    }
    if (kind !== 'workitems' || last === undefined) return null;
    if (method === 'POST' && last.startsWith('$')) {
      return {
        operation: 'create',
        contentType: 'application/json-patch+json',
        validate: (body) => version() ?? createProblem(body),
        handle: (body) => this.create(project, last.slice(1), body as PatchOp[]),
      };
    }
    if (!/^\d+$/.test(last)) return null;
    if (method === 'GET') return { operation: 'get', validate: version, handle: () => this.get(project, Number(last)) };
    if (method === 'PATCH')
      return {
        operation: 'update',
        contentType: 'application/json-patch+json',
        validate: (body) => version() ?? patchProblem(body, ['add', 'replace']),
        handle: (body) => this.update(project, Number(last), body as PatchOp[]),
      };
    return null;
  }

  private project(name: string): Reply {
    if (!this.projects.includes(name))
      return this.error(
        404,
        `TF200016: The following project does not exist: ${name}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`,
      );
    return {
      status: 200,
      body: {
        id: `proj-${this.projects.indexOf(name)}`,
        name,
        state: 'wellFormed',
        visibility: 'private',
        url: `${this.baseUrl}/_apis/projects/${encodeURIComponent(name)}`,
      },
    };
  }

  private wiql(project: string, body: { query: string }): Reply {
    if (!this.projects.includes(project)) return this.project(project);
    const tag = WIQL.exec(body.query)![1].replace(/''/g, "'").toLowerCase();
    const found = this.objects.filter((w) => w.project === project && tagsOf(w).includes(tag));
    return {
      status: 200,
      body: {
        queryType: 'flat',
        queryResultType: 'workItem',
        asOf: new Date().toISOString(),
        columns: [{ referenceName: 'System.Id', name: 'ID', url: `${this.origin}/_apis/wit/fields/System.Id` }],
        workItems: found.map((w) => ({ id: w.id, url: this.apiUrl(w) })),
      },
    };
  }

  private create(project: string, type: string, ops: PatchOp[]): Reply {
    if (!this.projects.includes(project)) return this.project(project);
    const canonical = WORK_ITEM_TYPES.find((t) => t.toLowerCase() === type.toLowerCase());
    if (!canonical)
      return this.error(
        404,
        `VS402323: Work item type ${type} does not exist in project ${project} or you do not have permission to access it.`,
      );
    const fields = fieldsOf(ops);
    const severity = fields['Microsoft.VSTS.Common.Severity'];
    if (severity !== undefined && canonical !== 'Bug') {
      this.violations.push(`create ${canonical}: Severity is only a field of Bug`);
      return this.error(400, `TF51535: Cannot find field Microsoft.VSTS.Common.Severity.`);
    }
    if (canonical === 'Bug' && !SEVERITIES.includes(severity))
      this.violations.push(`create Bug: Severity ${String(severity)} is not one of ${SEVERITIES.join(', ')}`);
    const now = new Date().toISOString();
    const item: FakeWorkItem = {
      id: this.nextId++,
      project,
      type: canonical,
      rev: 1,
      comments: [],
      fields: {
        'System.TeamProject': project,
        'System.AreaPath': project,
        'System.WorkItemType': canonical,
        'System.State': 'New',
        'System.CreatedDate': now,
        'System.ChangedDate': now,
        ...fields,
      },
    };
    this.objects.push(item);
    return { status: 200, body: this.itemJson(item) };
  }

  private get(project: string, id: number): Reply {
    const item = this.objects.find((w) => w.id === id && w.project === project);
    return item
      ? { status: 200, body: this.itemJson(item) }
      : this.error(404, `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`);
  }

  private update(project: string, id: number, ops: PatchOp[]): Reply {
    const item = this.objects.find((w) => w.id === id && w.project === project);
    if (!item) return this.error(404, `TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`);
    const { 'System.History': history, ...fields } = fieldsOf(ops);
    Object.assign(item.fields, fields, { 'System.ChangedDate': new Date().toISOString() });
    if (history) item.comments.push(history);
    item.rev += 1;
    return { status: 200, body: this.itemJson(item) };
  }

  private apiUrl(item: FakeWorkItem): string {
    return `${this.baseUrl}/${encodeURIComponent(item.project)}/_apis/wit/workItems/${item.id}`;
  }

  private itemJson(item: FakeWorkItem) {
    return {
      id: item.id,
      rev: item.rev,
      fields: { ...item.fields },
      _links: {
        self: { href: this.apiUrl(item) },
        html: { href: `${this.baseUrl}/${encodeURIComponent(item.project)}/_workitems/edit/${item.id}` },
      },
      url: this.apiUrl(item),
    };
  }
}

interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

function tagsOf(item: FakeWorkItem): string[] {
  return (item.fields['System.Tags'] ?? '')
    .split(';')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

function fieldsOf(ops: PatchOp[]): Record<string, string> {
  return Object.fromEntries(ops.map((o) => [o.path.slice('/fields/'.length), String(o.value)]));
}

function wiqlProblem(body: unknown): string | null {
  if (!isPlainObject(body) || typeof body.query !== 'string') return 'WIQL body must be {query: string}';
  return WIQL.test(body.query) ? null : `WIQL query is not the tag search of the contract: ${body.query}`;
}

/** A JSON Patch document: an array of {op, path, value} touching /fields/* with string values. */
function patchProblem(body: unknown, ops: readonly string[]): string | null {
  if (!Array.isArray(body) || body.length === 0) return 'the body is not a non-empty JSON Patch array';
  for (const [i, op] of body.entries()) {
    if (!isPlainObject(op)) return `operation ${i} is not an object`;
    if (typeof op.op !== 'string' || !ops.includes(op.op))
      return `operation ${i}: op ${JSON.stringify(op.op)} is not one of ${ops.join(', ')}`;
    if (typeof op.path !== 'string' || !/^\/fields\/[A-Za-z0-9_.]+$/.test(op.path))
      return `operation ${i}: path ${JSON.stringify(op.path)} is not /fields/<reference name>`;
    if (typeof op.value !== 'string') return `operation ${i}: value is not a string`;
  }
  const title = body.find((op) => op.path === '/fields/System.Title');
  if (title && (!isNonEmptyString(title.value) || title.value.length > 255)) return 'System.Title must be 1..255 characters';
  return null;
}

function createProblem(body: unknown): string | null {
  const problem = patchProblem(body, ['add']);
  if (problem) return problem;
  const fields = fieldsOf(body as PatchOp[]);
  if (!fields['System.Title']) return 'create without System.Title';
  if (!fields['System.Description']) return 'create without System.Description';
  const tags = (fields['System.Tags'] ?? '').split(';').map((t) => t.trim());
  return tags.some((t) => /^tftsr-.+/.test(t)) ? null : 'create without a tftsr-<publication id> tag (a retry could not find it)';
}

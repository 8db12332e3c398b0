import type { IntegrationHttp } from '../integration-http';
import type { JsonCall, PublisherHttpOptions } from './http';
import { basicAuth, endpoint, field, isArray, isNumber, isObject, isString, JsonClient, secretsOf } from './http';
import type { Severity } from './marker';
import { clip, normalSeverity, withMarker } from './marker';
import type { AttachMode, PublishAuth, PublishContent, Publisher, PublishTarget, RemoteObject } from './types';
import { PublishError } from './types';

const API_VERSION = { 'api-version': '7.1' };
const JSON_PATCH = 'application/json-patch+json';
/** System.Title is a 255-character field. */
const MAX_TITLE = 255;

const BUG_SEVERITY: Record<Severity, string> = {
  critical: '1 - Critical',
  high: '2 - High',
  medium: '3 - Medium',
  low: '4 - Low',
};

/**
 * Azure DevOps work items, api-version 7.1. Each item is tagged `tftsr-<publication id>` and found by WIQL on
 * that tag before anything is created.
 */
export class AzureDevOpsPublisher implements Publisher {
  private readonly client: JsonClient;
  private readonly authorization: string;

  constructor(http: IntegrationHttp, auth: PublishAuth, options: PublisherHttpOptions = {}) {
    // A PAT is basic auth with an empty user name; the desktop app sent it as a bearer token, which ADO refuses.
    this.authorization = basicAuth('', auth.secret);
    this.client = new JsonClient(http, {
      ...options,
      service: 'Azure DevOps',
      secrets: secretsOf(auth.secret, this.authorization),
      signInPageIsAuth: true,
    });
  }

  async find(target: PublishTarget, content: PublishContent, knownId: string | null): Promise<RemoteObject | null> {
    if (knownId) return this.getWorkItem(target, knownId);
    const tag = publicationTag(content).replace(/'/g, "''");
    const query = `SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project AND [System.Tags] CONTAINS '${tag}'`;
    const reply = await this.client.call(this.request('POST', target, '/_apis/wit/wiql', { query }));
    const [first] = field('Azure DevOps WIQL', reply.body, 'workItems', isArray);
    if (first === undefined) return null;
    const id = field('Azure DevOps WIQL', first, 'id', isNumber);
    return { id: String(id), url: this.editUrl(target, String(id)), displayId: `#${id}` };
  }

  async create(target: PublishTarget, content: PublishContent): Promise<RemoteObject> {
    const type = target.options.work_item_type?.trim() || 'Bug';
    const ops = [
      add('System.Title', clip(content.title, MAX_TITLE)),
      add('System.Description', withMarker(content.html, content.publicationId)),
      add('System.Tags', `tftsr; ${publicationTag(content)}`),
      ...(type.toLowerCase() === 'bug' ? [add('Microsoft.VSTS.Common.Severity', BUG_SEVERITY[normalSeverity(content.severity)])] : []),
    ];
    const call = this.request('POST', target, `/_apis/wit/workitems/$${encodeURIComponent(type)}`, ops, JSON_PATCH);
    return this.toRemote(target, (await this.client.call(call)).body);
  }

  /** `add` on an existing field replaces it; tags and severity stay as people may have changed them. */
  async update(target: PublishTarget, content: PublishContent, existing: RemoteObject): Promise<RemoteObject> {
    const ops = [
      add('System.Title', clip(content.title, MAX_TITLE)),
      add('System.Description', withMarker(content.html, content.publicationId)),
    ];
    const call = this.request('PATCH', target, `/_apis/wit/workitems/${workItemId(existing.id)}`, ops, JSON_PATCH);
    return this.toRemote(target, (await this.client.call(call)).body);
  }

  /**
   * A document for an issue whose work item exists: a discussion comment (System.History, through the same
   * 7.1 update call), and with `description` the description replaced by the document as well.
   */
  async attach(target: PublishTarget, content: PublishContent, owner: RemoteObject, mode: AttachMode): Promise<RemoteObject> {
    const comment = `<p><strong>${escapeText(content.title)}</strong></p>\n${content.html}`;
    const ops = [
      add('System.History', comment),
      ...(mode === 'description' ? [add('System.Description', withMarker(content.html, content.publicationId))] : []),
    ];
    const call = this.request('PATCH', target, `/_apis/wit/workitems/${workItemId(owner.id)}`, ops, JSON_PATCH);
    return this.toRemote(target, (await this.client.call(call)).body);
  }

  async testConnection(target: PublishTarget): Promise<void> {
    const url = endpoint(target.baseUrl, `/_apis/projects/${encodeURIComponent(projectOf(target))}`, API_VERSION);
    await this.client.call({ method: 'GET', url, authorization: this.authorization });
  }

  private async getWorkItem(target: PublishTarget, id: string): Promise<RemoteObject | null> {
    try {
      const reply = await this.client.call(this.request('GET', target, `/_apis/wit/workitems/${workItemId(id)}`));
      return this.toRemote(target, reply.body);
    } catch (err) {
      if (err instanceof PublishError && err.kind === 'not_found') return null;
      throw err;
    }
  }

  private toRemote(target: PublishTarget, item: unknown): RemoteObject {
    const id = String(field('Azure DevOps work item', item, 'id', isNumber));
    const links = isObject(item) && isObject(item._links) ? item._links : {};
    const html = isObject(links.html) && isString(links.html.href) ? links.html.href : null;
    return { id, url: html ?? this.editUrl(target, id), displayId: `#${id}` };
  }

  private editUrl(target: PublishTarget, id: string): string {
    return endpoint(target.baseUrl, `/${encodeURIComponent(projectOf(target))}/_workitems/edit/${id}`).href;
  }

  /** `{base}/{project}/_apis/...?api-version=7.1`; the project name is one encoded path segment. */
  private request(method: JsonCall['method'], target: PublishTarget, path: string, body?: unknown, contentType?: string): JsonCall {
    const url = endpoint(target.baseUrl, `/${encodeURIComponent(projectOf(target))}${path}`, API_VERSION);
    return { method, url, authorization: this.authorization, body, contentType };
  }
}

function add(fieldName: string, value: string) {
  return { op: 'add', path: `/fields/${fieldName}`, value };
}

function publicationTag(content: PublishContent): string {
  return `tftsr-${content.publicationId}`;
}

function projectOf(target: PublishTarget): string {
  if (!target.projectName)
    throw new PublishError('bad_request', 'Azure DevOps needs a project; set project_name in the integration config');
  return target.projectName;
}

function workItemId(id: string): string {
  if (!/^\d+$/.test(id)) throw new PublishError('bad_request', `Azure DevOps work item id ${clip(id, 40)} is not a number`);
  return id;
}

function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

import type { IntegrationHttp } from '../integration-http';
import type { JsonCall, PublisherHttpOptions } from './http';
import { basicAuth, endpoint, field, isArray, isObject, isString, JsonClient, secretsOf } from './http';
import type { Severity } from './marker';
import { clip, normalSeverity, withMarker } from './marker';
import type { PublishAuth, PublishContent, Publisher, PublishTarget, RemoteObject } from './types';
import { PublishError } from './types';

type Table = 'incident' | 'kb_knowledge';

/** incident.short_description is a 160-character field. */
const MAX_SHORT_DESCRIPTION = 160;
const FIELDS = 'sys_id,number';

/** Urgency and impact whose product, in ServiceNow's default priority matrix, gives P1..P4. */
const URGENCY_IMPACT: Record<Severity, { urgency: string; impact: string }> = {
  critical: { urgency: '1', impact: '1' },
  high: { urgency: '1', impact: '2' },
  medium: { urgency: '2', impact: '2' },
  low: { urgency: '3', impact: '2' },
};

/**
 * ServiceNow Table API with basic auth. An incident carries our publication id in correlation_id; a knowledge
 * article (no such field) carries it in the marker footer of its text.
 */
export class ServiceNowPublisher implements Publisher {
  private readonly client: JsonClient;
  private readonly authorization: string | null;

  constructor(http: IntegrationHttp, auth: PublishAuth, options: PublisherHttpOptions = {}) {
    this.authorization = auth.username ? basicAuth(auth.username, auth.secret) : null;
    this.client = new JsonClient(http, { ...options, service: 'ServiceNow', secrets: secretsOf(auth.secret, this.authorization ?? '') });
  }

  async find(target: PublishTarget, content: PublishContent, knownId: string | null): Promise<RemoteObject | null> {
    const table = tableOf(target);
    if (knownId) {
      try {
        const reply = await this.client.call(
          this.request('GET', target, `/api/now/table/${table}/${encodeURIComponent(knownId)}`, { sysparm_fields: FIELDS }),
        );
        return this.toRemote(target, table, field('ServiceNow record', reply.body, 'result', isObject));
      } catch (err) {
        if (err instanceof PublishError && err.kind === 'not_found') return null;
        throw err;
      }
    }
    const query = table === 'incident' ? `correlation_id=${content.publicationId}` : `textLIKE${content.publicationId}`;
    const reply = await this.client.call(
      this.request('GET', target, `/api/now/table/${table}`, { sysparm_query: query, sysparm_limit: '1', sysparm_fields: FIELDS }),
    );
    const [first] = field('ServiceNow query', reply.body, 'result', isArray);
    return first === undefined ? null : this.toRemote(target, table, first);
  }

  async create(target: PublishTarget, content: PublishContent): Promise<RemoteObject> {
    const table = tableOf(target);
    const body =
      table === 'incident'
        ? incidentFields(content)
        : { ...knowledgeFields(content), kb_knowledge_base: knowledgeBase(target), workflow_state: 'draft' };
    const reply = await this.client.call(this.request('POST', target, `/api/now/table/${table}`, { sysparm_fields: FIELDS }, body));
    return this.toRemote(target, table, field('ServiceNow create', reply.body, 'result', isObject));
  }

  /** Title and text only: urgency and impact may have been changed by the people working the incident. */
  async update(target: PublishTarget, content: PublishContent, existing: RemoteObject): Promise<RemoteObject> {
    const table = tableOf(target);
    const body =
      table === 'incident' ? { short_description: shortDescription(content), description: content.text } : knowledgeFields(content);
    const reply = await this.client.call(
      this.request('PATCH', target, `/api/now/table/${table}/${encodeURIComponent(existing.id)}`, { sysparm_fields: FIELDS }, body),
    );
    return this.toRemote(target, table, field('ServiceNow update', reply.body, 'result', isObject));
  }

  /**
   * A document for an issue whose incident exists: its text as work notes (a journal field: each call adds an
   * entry), and for an RCA also as close notes, where the resolution is read. The title and urgency stay.
   */
  async attach(target: PublishTarget, content: PublishContent, owner: RemoteObject): Promise<RemoteObject> {
    const heading = `${content.docType === 'rca' ? 'RCA' : 'Document'} published by TFTSR: ${content.title}`;
    const body: Record<string, string> = { work_notes: `${heading}\n\n${content.text}` };
    if (content.docType === 'rca') body.close_notes = content.text;
    const call = this.request('PATCH', target, `/api/now/table/incident/${encodeURIComponent(owner.id)}`, { sysparm_fields: FIELDS }, body);
    return this.toRemote(target, 'incident', field('ServiceNow update', (await this.client.call(call)).body, 'result', isObject));
  }

  async testConnection(target: PublishTarget): Promise<void> {
    const table = tableOf(target);
    await this.client.call(this.request('GET', target, `/api/now/table/${table}`, { sysparm_limit: '1', sysparm_fields: 'sys_id' }));
  }

  private toRemote(target: PublishTarget, table: Table, record: unknown): RemoteObject {
    const id = field('ServiceNow record', record, 'sys_id', isString);
    const number = isObject(record) && isString(record.number) ? record.number : undefined;
    const base = target.baseUrl.href.replace(/\/+$/, '');
    return { id, url: `${base}/nav_to.do?uri=${table}.do?sys_id=${encodeURIComponent(id)}`, displayId: number, table };
  }

  private request(
    method: JsonCall['method'],
    target: PublishTarget,
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): JsonCall {
    if (!this.authorization)
      throw new PublishError('bad_request', 'ServiceNow needs a user name for basic auth; set username in the integration config');
    return { method, url: endpoint(target.baseUrl, path, query), authorization: this.authorization, body };
  }
}

function tableOf(target: PublishTarget): Table {
  const table = target.options.table ?? 'incident';
  if (table !== 'incident' && table !== 'kb_knowledge')
    throw new PublishError('bad_request', `ServiceNow table ${String(table)} is not supported; use incident or kb_knowledge`);
  return table;
}

function incidentFields(content: PublishContent) {
  return {
    short_description: shortDescription(content),
    description: content.text,
    ...URGENCY_IMPACT[normalSeverity(content.severity)],
    correlation_id: content.publicationId,
    correlation_display: 'TFTSR',
  };
}

function knowledgeFields(content: PublishContent) {
  return { short_description: shortDescription(content), text: withMarker(content.html, content.publicationId) };
}

function knowledgeBase(target: PublishTarget): string {
  const kb = target.options.kb_knowledge_base;
  if (!kb)
    throw new PublishError('bad_request', 'a ServiceNow knowledge article needs kb_knowledge_base (the sys_id of the knowledge base)');
  return kb;
}

function shortDescription(content: PublishContent): string {
  return clip(content.title, MAX_SHORT_DESCRIPTION);
}

import { randomBytes } from 'node:crypto';
import type { Reply, RequestContext, Route } from './fake-server';
import { FakeServer, isNonEmptyString, isPlainObject } from './fake-server';

export type ServiceNowOperation = 'get' | 'search' | 'list' | 'create' | 'update';
export type ServiceNowTable = 'incident' | 'kb_knowledge';

export interface FakeServiceNowOptions {
  username: string;
  password: string;
  /** sys_ids of the knowledge bases that exist. Default one: `a7e8a78bff0221009b20ffffffffff17`. */
  knowledgeBases?: string[];
}

export interface FakeServiceNowRecord {
  table: ServiceNowTable;
  sys_id: string;
  number: string;
  /** Every field as the Table API stores it (strings), including derived `priority` for incidents. */
  fields: Record<string, string>;
  /** Journal entries (work_notes, comments): each write adds one, as on the real instance; the field reads empty. */
  journal: Array<{ field: string; value: string }>;
}

const JOURNAL_FIELDS = ['work_notes', 'comments'];

/** Moves journal fields out of a write into entries. */
function splitJournal(body: Record<string, string>): { fields: Record<string, string>; entries: Array<{ field: string; value: string }> } {
  const fields = { ...body };
  const entries = JOURNAL_FIELDS.filter((f) => typeof fields[f] === 'string' && fields[f] !== '').map((f) => ({
    field: f,
    value: fields[f],
  }));
  for (const f of JOURNAL_FIELDS) delete fields[f];
  return { fields, entries };
}

export const DEFAULT_KNOWLEDGE_BASE = 'a7e8a78bff0221009b20ffffffffff17';

/** ServiceNow's default priority matrix: urgency x impact → priority 1..5. */
const PRIORITY: Record<string, string> = {
  '11': '1',
  '12': '2',
  '21': '2',
  '13': '3',
  '22': '3',
  '31': '3',
  '23': '4',
  '32': '4',
  '33': '5',
};

/**
 * ServiceNow Table API for incident and kb_knowledge: get by sys_id, encoded-query search (`=` and `LIKE`),
 * create (201 + Location) and PATCH. Basic auth; JSON only.
 */
export class FakeServiceNow extends FakeServer<ServiceNowOperation> {
  readonly objects: FakeServiceNowRecord[] = [];
  private readonly knowledgeBases: string[];
  private counters: Record<ServiceNowTable, number> = { incident: 10001, kb_knowledge: 10001 };

  constructor(private readonly options: FakeServiceNowOptions) {
    super();
    this.knowledgeBases = options.knowledgeBases ?? [DEFAULT_KNOWLEDGE_BASE];
  }

  static start(options: FakeServiceNowOptions): Promise<FakeServiceNow> {
    return new FakeServiceNow(options).listen();
  }

  protected expectedAuthorization(): string {
    return `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
  }

  protected authFailure(): Reply {
    return this.error(401, 'User Not Authenticated', { 'www-authenticate': 'BASIC realm="Service-now"' });
  }

  protected errorBody(status: number, message: string): unknown {
    return { error: { message, detail: status === 401 ? 'Required to provide Auth information' : null }, status: 'failure' };
  }

  protected route({ method, segments, query }: RequestContext): Route<ServiceNowOperation> | null {
    const [api, now, tableWord, table, sysId, ...rest] = segments;
    if (api !== 'api' || now !== 'now' || tableWord !== 'table' || table === undefined || rest.length > 0) return null;
    const badTable = table === 'incident' || table === 'kb_knowledge' ? null : `table ${table} is not one the publisher uses`;
    const t = table as ServiceNowTable;
    if (method === 'GET' && sysId !== undefined)
      return { operation: 'get', validate: () => badTable, handle: () => this.get(t, sysId, query) };
    if (method === 'GET' && query.sysparm_query !== undefined)
      return { operation: 'search', validate: () => badTable ?? searchProblem(query), handle: () => this.search(t, query) };
    if (method === 'GET')
      return {
        operation: 'list',
        validate: () => badTable ?? (query.sysparm_limit ? null : 'listing without sysparm_limit'),
        handle: () => this.list(t, query),
      };
    if (method === 'POST' && sysId === undefined)
      return {
        operation: 'create',
        contentType: 'application/json',
        validate: (body) => badTable ?? createProblem(t, body),
        handle: (body) => this.create(t, body as Record<string, string>, query),
      };
    if (method === 'PATCH' && sysId !== undefined)
      return {
        operation: 'update',
        contentType: 'application/json',
        validate: (body) => badTable ?? stringFieldsProblem(body),
        handle: (body) => this.update(t, sysId, body as Record<string, string>, query),
      };
    return null;
  }

  private get(table: ServiceNowTable, sysId: string, query: Record<string, string>): Reply {
    const record = this.objects.find((r) => r.table === table && r.sys_id === sysId);
    return record
      ? { status: 200, body: { result: project(record, query) } }
      : this.error(404, "No Record found: Record doesn't exist or ACL restricts the record retrieval");
  }

  private search(table: ServiceNowTable, query: Record<string, string>): Reply {
    const conditions = parseQuery(query.sysparm_query) ?? [];
    const found = this.objects.filter((r) => r.table === table && conditions.every((c) => c.test(r.fields[c.field] ?? '')));
    return { status: 200, body: { result: found.slice(0, Number(query.sysparm_limit)).map((r) => project(r, query)) } };
  }

  private list(table: ServiceNowTable, query: Record<string, string>): Reply {
    const found = this.objects.filter((r) => r.table === table);
    return { status: 200, body: { result: found.slice(0, Number(query.sysparm_limit)).map((r) => project(r, query)) } };
  }

  private create(table: ServiceNowTable, body: Record<string, string>, query: Record<string, string>): Reply {
    if (table === 'kb_knowledge' && !this.knowledgeBases.includes(body.kb_knowledge_base))
      return this.error(400, 'Invalid reference: kb_knowledge_base');
    const sysId = randomBytes(16).toString('hex');
    const number = `${table === 'incident' ? 'INC' : 'KB'}${String(this.counters[table]++).padStart(7, '0')}`;
    const { fields: written, entries } = splitJournal(body);
    const fields: Record<string, string> = { ...written, sys_id: sysId, number };
    if (table === 'incident') fields.priority = PRIORITY[`${body.urgency}${body.impact}`];
    const record: FakeServiceNowRecord = { table, sys_id: sysId, number, fields, journal: entries };
    this.objects.push(record);
    return {
      status: 201,
      body: { result: project(record, query) },
      headers: { location: `${this.origin}/api/now/table/${table}/${sysId}` },
    };
  }

  private update(table: ServiceNowTable, sysId: string, body: Record<string, string>, query: Record<string, string>): Reply {
    const record = this.objects.find((r) => r.table === table && r.sys_id === sysId);
    if (!record) return this.error(404, "No Record found: Record doesn't exist or ACL restricts the record retrieval");
    const { fields, entries } = splitJournal(body);
    Object.assign(record.fields, fields, { sys_id: record.sys_id, number: record.number });
    record.journal.push(...entries);
    return { status: 200, body: { result: project(record, query) } };
  }
}

/** The record as the API returns it, cut down to sysparm_fields when given. */
function project(record: FakeServiceNowRecord, query: Record<string, string>): Record<string, string> {
  if (!query.sysparm_fields) return { ...record.fields };
  return Object.fromEntries(query.sysparm_fields.split(',').map((f) => [f, record.fields[f] ?? '']));
}

interface Condition {
  field: string;
  test: (value: string) => boolean;
}

/** `field=value` and `fieldLIKEvalue`, joined by `^`: all the publisher sends. Null when anything else appears. */
function parseQuery(query: string): Condition[] | null {
  const conditions: Condition[] = [];
  for (const part of query.split('^')) {
    const m = /^([a-z_]+)(LIKE|=)(.*)$/.exec(part);
    if (!m || m[3] === '') return null;
    const [, field, op, value] = m;
    conditions.push({ field, test: op === '=' ? (v) => v === value : (v) => v.toLowerCase().includes(value.toLowerCase()) });
  }
  return conditions;
}

function searchProblem(query: Record<string, string>): string | null {
  if (!query.sysparm_limit) return 'search without sysparm_limit';
  return parseQuery(query.sysparm_query) ? null : `unsupported sysparm_query ${query.sysparm_query}`;
}

function stringFieldsProblem(body: unknown): string | null {
  if (!isPlainObject(body)) return 'the body is not a JSON object';
  const bad = Object.entries(body).find(([, v]) => typeof v !== 'string');
  return bad ? `field ${bad[0]} is not a string` : null;
}

function createProblem(table: ServiceNowTable, body: unknown): string | null {
  const problem = stringFieldsProblem(body);
  if (problem) return problem;
  const b = body as Record<string, string>;
  if (!isNonEmptyString(b.short_description) || b.short_description.length > 160) return 'short_description must be 1..160 characters';
  if (table === 'kb_knowledge') {
    if (typeof b.text !== 'string') return 'kb_knowledge needs text';
    if (!isNonEmptyString(b.kb_knowledge_base)) return 'kb_knowledge needs kb_knowledge_base';
    return b.workflow_state === 'draft' ? null : 'kb_knowledge must be created as workflow_state draft';
  }
  if (typeof b.description !== 'string') return 'incident needs description';
  if (!['1', '2', '3'].includes(b.urgency) || !['1', '2', '3'].includes(b.impact)) return 'urgency and impact must be "1", "2" or "3"';
  if (!isNonEmptyString(b.correlation_id)) return 'incident without correlation_id (retries could not find it)';
  return isNonEmptyString(b.correlation_display) ? null : 'incident without correlation_display';
}

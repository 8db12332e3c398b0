import type { ValidateFunction } from 'ajv';
import Ajv from 'ajv';

/**
 * Checks responses against the OpenAPI document the app serves: every response a test receives must be one
 * the document declares for that route and status, with a body that fits the declared schema.
 * Uses ajv (already in node_modules through fastify); OpenAPI 3.0's `nullable` is understood by ajv.
 */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

export interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
  security?: Record<string, string[]>[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export class OpenApiChecker {
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; literal: number }[];

  constructor(readonly doc: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.ajv.addSchema({ components: doc.components ?? {} }, 'openapi');
    this.templates = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        // A literal segment beats a parameter: /v1/audit/verify, not /v1/audit/{id}.
        literal: template.split('/').filter((s) => s && !s.startsWith('{')).length,
      }))
      .sort((a, b) => b.literal - a.literal);
  }

  /** The path template a concrete path matches, or undefined. */
  templateFor(path: string): string | undefined {
    const bare = path.split('?')[0];
    return this.templates.find((t) => t.pattern.test(bare))?.template;
  }

  /** Problems with the response, or [] when it is what the document declares. */
  check(method: string, path: string, status: number, body: unknown, headers: Headers): string[] {
    const template = this.templateFor(path);
    if (!template) return [`${method} ${path}: no path in the OpenAPI document matches`];
    const operation = this.doc.paths[template][method.toLowerCase()];
    if (!operation) return [`${method} ${template}: the document has no such operation`];
    const declared = operation.responses[String(status)];
    if (!declared)
      return [`${method} ${template}: status ${status} is not declared (declared: ${Object.keys(operation.responses).join(', ')})`];
    const problems: string[] = [];
    for (const header of Object.keys(declared.headers ?? {})) {
      if (!headers.has(header)) problems.push(`${method} ${template} ${status}: declared header ${header} is missing`);
    }
    const schema = declared.content?.['application/json']?.schema;
    if (!schema) {
      if (body !== null && body !== undefined && body !== '')
        problems.push(`${method} ${template} ${status}: a body came back but none is declared`);
      return problems;
    }
    const validate = this.validator(`${method} ${template} ${status}`, schema);
    if (!validate(body)) {
      problems.push(
        `${method} ${template} ${status}: body does not fit its schema: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}`,
      );
    }
    return problems;
  }

  private validator(key: string, schema: unknown): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rewriteRefs(schema) as object);
      this.validators.set(key, validate);
    }
    return validate;
  }
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? `openapi${v}` : rewriteRefs(v),
    ]),
  );
}

/**
 * Structural rules of OpenAPI 3.0 that a generator can get wrong: version, info, path syntax, operations
 * with responses, unique operationIds, declared path parameters, resolvable $refs and compilable schemas.
 * A full validator (e.g. @apidevtools/swagger-parser) is not installed.
 */
export function openApiProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  if (!/^3\.0\.\d+$/.test(doc.openapi)) problems.push(`openapi is ${doc.openapi}, not 3.0.x`);
  if (!doc.info?.title || !doc.info?.version) problems.push('info.title and info.version are required');
  const ids = new Set<string>();
  const ajv = new Ajv({ strict: false, validateFormats: false });
  ajv.addSchema({ components: doc.components ?? {} }, 'openapi');
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith('/')) problems.push(`path ${path} does not start with /`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      if (!operation.responses || Object.keys(operation.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response key ${status} is not a status`);
        if (typeof response.description !== 'string') problems.push(`${where} ${status}: description is required`);
      }
      if (operation.operationId) {
        if (ids.has(operation.operationId)) problems.push(`${where}: operationId ${operation.operationId} is not unique`);
        ids.add(operation.operationId);
      }
      const pathParams = (operation.parameters ?? []).filter((p) => p.in === 'path');
      for (const name of templated) {
        const param = pathParams.find((p) => p.name === name);
        if (!param) problems.push(`${where}: path parameter {${name}} is not declared`);
        else if (param.required !== true) problems.push(`${where}: path parameter {${name}} must be required`);
      }
      for (const param of operation.parameters ?? []) {
        if (!['query', 'header', 'path', 'cookie'].includes(param.in))
          problems.push(`${where}: parameter ${param.name} has in=${param.in}`);
      }
    }
  }
  for (const ref of collectRefs(doc)) {
    if (!resolvePointer(doc, ref)) problems.push(`$ref ${ref} does not resolve`);
  }
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    for (const [prop, def] of Object.entries((schema as { properties?: Record<string, { format?: string }> }).properties ?? {})) {
      if (isTimeField(prop) && def.format !== 'date-time')
        problems.push(`components.schemas.${name}.${prop} is a time but not declared as format date-time`);
    }
    try {
      ajv.compile(rewriteRefs(schema) as object);
    } catch (err) {
      problems.push(`components.schemas.${name} is not a valid schema: ${(err as Error).message}`);
    }
  }
  return problems;
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => collectRefs(n, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

/** Names of response fields that hold a time: every one is ISO 8601 UTC with a Z (toApiTime). */
export function isTimeField(name: string): boolean {
  return name.endsWith('_at') || name === 'timestamp';
}

const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Every time field anywhere in a response body that is not ISO 8601 UTC with a Z, with its path. */
export function badTimes(body: unknown, path = '$'): string[] {
  if (Array.isArray(body)) return body.flatMap((item, i) => badTimes(item, `${path}[${i}]`));
  if (body === null || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, unknown>).flatMap(([key, value]) => {
    const here = `${path}.${key}`;
    if (isTimeField(key) && value !== null && !(typeof value === 'string' && API_TIME.test(value)))
      return [`${here} is ${JSON.stringify(value)}, not ISO 8601 UTC`];
    // details of an audit entry are what was recorded at the time, in the database's words: not a response time.
    return key === 'details' ? [] : badTimes(value, here);
  });
}

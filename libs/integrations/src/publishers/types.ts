import type { IntegrationService } from '../url-policy';

/** What one publication sends: already through the PII gate (redacted when the gate redacted it). */
export interface PublishContent {
  /** Our publications.id: the marker every retry searches for before it creates anything. */
  publicationId: string;
  title: string;
  /** The document's Markdown, as the PII gate passed it (what `sent_sha256` covers). */
  markdown: string;
  /** Plain text rendered from the Markdown (ServiceNow incident description, work notes, close notes). */
  text: string;
  /** Sanitised XHTML rendered from the Markdown (Confluence storage format, Azure DevOps and KB HTML fields). */
  html: string;
  /** The severity: low | medium | high | critical (mapped to each service's own scale). */
  severity: string;
  /** rca | postmortem; null for an issue's own incident. An RCA attached to an incident fills its close notes. */
  docType: string | null;
}

/** Per-publication target options, validated by the API; every field is optional. */
export interface PublishOptions {
  /** Confluence: the page to create the new page under. */
  parent_page_id?: string;
  /** ServiceNow: `incident` (default) or `kb_knowledge`. */
  table?: 'incident' | 'kb_knowledge';
  /** ServiceNow kb_knowledge: the knowledge base's sys_id (required for that table). */
  kb_knowledge_base?: string;
  /** Azure DevOps: the work item type, default `Bug`. */
  work_item_type?: string;
}

/** The service's row of integration_config, resolved, plus the options of this publication. */
export interface PublishTarget {
  service: IntegrationService;
  baseUrl: URL;
  /** Confluence: the account e-mail for API-token basic auth (absent: the secret is an OAuth bearer). ServiceNow: the user. */
  username: string | null;
  /** Azure DevOps project. */
  projectName: string | null;
  /** Confluence space key. */
  spaceKey: string | null;
  options: PublishOptions;
}

/** The object a publication owns on the remote side. */
export interface RemoteObject {
  /** Confluence page id, ServiceNow sys_id, Azure DevOps work item id (as a string). */
  id: string;
  /** Where a human opens it. */
  url: string;
  /** Human-facing number where the service has one (INC0010002, #42). */
  displayId?: string;
  /** Confluence page version after the call. */
  version?: number;
  /** ServiceNow: the record's table (incident, kb_knowledge). */
  table?: string;
}

export type PublishErrorKind =
  | 'rate_limited' // 429
  | 'unavailable' // 503
  | 'server' // other 5xx
  | 'network' // connection refused/reset, dropped mid-response
  | 'timeout'
  | 'dns' // the host does not resolve
  | 'tls'
  | 'blocked' // the address or URL is not allowed (SSRF guard)
  | 'bad_request' // 400, 413, 422
  | 'auth' // 401, or Azure DevOps' 203 sign-in page
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // 409 (Confluence version race)
  | 'foreign_object' // the marker search found an object we did not create (e.g. a human's page with our title)
  | 'bad_response'; // a 2xx we cannot read

/**
 * A failed call, in words an operator can act on. Never carries the secret, the Authorization header or the
 * request body: the message names the method, the path and the remote status, plus at most a short excerpt of
 * the remote's error text.
 */
export class PublishError extends Error {
  constructor(
    readonly kind: PublishErrorKind,
    message: string,
    readonly status?: number,
    /** From Retry-After (seconds or an HTTP date), when the remote sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'PublishError';
  }

  /** 429, 5xx, network errors, timeouts and version conflicts are worth retrying; the rest fail at once. */
  get retryable(): boolean {
    return ['rate_limited', 'unavailable', 'server', 'network', 'timeout', 'conflict'].includes(this.kind);
  }
}

/**
 * One remote service. Every method is safe to call again after a crash: the processor calls `find` before
 * `create` on every attempt, so a create whose answer was lost is found instead of repeated.
 */
export interface Publisher {
  /** The object this publication created earlier: by `knownId` when we stored one, else by the publication's marker. */
  find(target: PublishTarget, content: PublishContent, knownId: string | null): Promise<RemoteObject | null>;
  create(target: PublishTarget, content: PublishContent): Promise<RemoteObject>;
  /**
   * Adds a document to an object another publication owns (one incident, one work item per issue): ServiceNow
   * work notes (and close notes for an RCA), an Azure DevOps discussion comment. Services without it: undefined.
   */
  attach?(target: PublishTarget, content: PublishContent, owner: RemoteObject, mode: AttachMode): Promise<RemoteObject>;
  /** Replaces title and body of an object `find` returned (Confluence: version + 1). */
  update(target: PublishTarget, content: PublishContent, existing: RemoteObject): Promise<RemoteObject>;
  /** A cheap authenticated read; throws a PublishError saying what failed (DNS, TLS, 401, 403, 404...). */
  testConnection(target: PublishTarget): Promise<void>;
}

/**
 * How a document joins the existing object. ServiceNow: `work_notes` (work notes, close notes for an RCA).
 * Azure DevOps: `comment` (a discussion comment) or `description` (the description replaced, plus a comment).
 */
export type AttachMode = 'work_notes' | 'comment' | 'description';

/** The secret and, where the service uses one, the user name, decrypted just before use and never stored. */
export interface PublishAuth {
  username: string | null;
  secret: string;
}

import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  AiConversationRepository,
  AuditLogRepository,
  GroupCommit,
  ImageAttachmentRepository,
  Issue,
  IssueListFilter,
  IssueRepository,
  IssueSort,
  LogFileRepository,
  LogStreamRepository,
  newId,
  ResolutionStepRepository,
  SearchQueryError,
  SNIPPET_CLOSE,
  SNIPPET_OPEN,
  SortOrder,
  toDbTimestamp,
  TransactionRunner,
} from '@tftsr/db';
import { decodeCursor, encodeCursor } from '../common/cursor';
import { VersionedCache } from '../common/versioned-cache';
import { DomainError, ErrorCode } from '../common/domain-error';
import { toDbTime } from '../common/validation';
import { toConversationResponse } from '../conversations/conversations.dto';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { PublicationRequests } from '../publishing/publication-requests.service';
import { toLogStreamResponse } from '../log-streams/log-streams.dto';
import { toResolutionStepResponse } from '../resolution-steps/resolution-steps.dto';
import { TextRedactor } from '../settings/text-redactor.service';
import { snippetToHtml, toFtsQuery } from './fts-query';
import {
  CreateIssueBody,
  IssueDetailResponse,
  IssueListResponse,
  ListIssuesQuery,
  toImageAttachmentResponse,
  toIssueResponse,
  toLogFileResponse,
  UpdateIssueBody,
} from './issues.dto';
import { StoredFiles } from './stored-files.service';

const DEFAULT_LIMIT = 50;
/** Issues whose detail is kept between reads, and the most files, images, steps, conversations and chunks one may list. */
const KEPT_DETAILS = 64;
const KEPT_DETAIL_ITEMS = 1000;
const UPDATABLE = ['title', 'description', 'severity', 'status', 'category', 'assigned_to', 'tags'] as const;

interface IssueCursor {
  s: IssueSort;
  o: SortOrder;
  f: string;
  k: unknown[];
}

@Injectable()
export class IssuesService {
  private readonly details = new VersionedCache<IssueDetailResponse>(KEPT_DETAILS, (detail) => itemsOf(detail) <= KEPT_DETAIL_ITEMS);

  constructor(
    private readonly group: GroupCommit,
    private readonly tx: TransactionRunner,
    private readonly issues: IssueRepository,
    private readonly logFiles: LogFileRepository,
    private readonly images: ImageAttachmentRepository,
    private readonly steps: ResolutionStepRepository,
    private readonly conversations: AiConversationRepository,
    private readonly audit: AuditLogRepository,
    private readonly storedFiles: StoredFiles,
    private readonly publications: PublicationRequests,
    private readonly relay: OutboxRelay,
    private readonly redactor: TextRedactor,
    private readonly streams: LogStreamRepository,
  ) {}

  /**
   * Issue fields are stored as written (people search and triage by them) and only scanned here, so the audit
   * says which PII types they hold; every exit (exports, publications, AI sends) passes them through the gate.
   */
  private piiTypesOf(issue: Issue): string[] {
    return this.redactor.typesIn({ title: issue.title, description: issue.description, assigned_to: issue.assigned_to, tags: issue.tags });
  }

  async create(body: CreateIssueBody, actor: string): Promise<IssueDetailResponse> {
    const now = toDbTimestamp();
    const status = body.status ?? 'open';
    const issue: Issue = {
      id: newId(),
      title: body.title,
      description: body.description ?? null,
      severity: body.severity,
      status,
      category: body.category ?? null,
      source: body.source ?? 'api',
      created_at: now,
      updated_at: now,
      resolved_at: status === 'resolved' ? now : null,
      assigned_to: body.assigned_to ?? null,
      tags: JSON.stringify(body.tags ?? []),
    };
    const queued = await this.group.run(() => {
      this.issues.insert(issue);
      this.audit.append({
        action: 'create_issue',
        entity_type: 'issue',
        entity_id: issue.id,
        user_id: actor,
        details: {
          severity: issue.severity,
          status: issue.status,
          tag_count: (body.tags ?? []).length,
          pii_types_found: this.piiTypesOf(issue),
        },
      });
      // A critical issue notifies webhooks and, with ServiceNow's auto_create_enabled on, opens an incident.
      return issue.severity === 'critical' ? this.publications.onCriticalIssue(issue.id, actor) : false;
    });
    if (queued) this.relay.kick();
    return { ...toIssueResponse(issue), log_files: [], image_attachments: [], resolution_steps: [], conversations: [], log_streams: [] };
  }

  /**
   * Read each time the issue page loads or reloads, and by scripts that poll an issue; while nothing was committed
   * since the last read, that read's answer is still exact and is given again (the six reads of a detail are most
   * of a GET's cost).
   */
  get(id: string): IssueDetailResponse {
    const version = this.tx.version();
    const kept = this.details.get(id, version);
    if (kept) return kept;
    const detail = Object.freeze(this.tx.read(() => this.detail(this.getOrThrow(id))));
    this.details.set(id, version, detail);
    return detail;
  }

  private detail(issue: Issue): IssueDetailResponse {
    return {
      ...toIssueResponse(issue),
      log_files: this.logFiles.listForIssue(issue.id).map(toLogFileResponse),
      image_attachments: this.images.listForIssue(issue.id).map(toImageAttachmentResponse),
      resolution_steps: this.steps.listForIssue(issue.id).map(toResolutionStepResponse),
      conversations: this.conversations.listForIssue(issue.id).map(toConversationResponse),
      log_streams: this.streams.listForIssue(issue.id).map(({ stream, chunks }) => toLogStreamResponse(stream, chunks)),
    };
  }

  async update(id: string, body: UpdateIssueBody, actor: string): Promise<IssueDetailResponse> {
    const fields = UPDATABLE.filter((field) => body[field] !== undefined);
    if (fields.length === 0) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `nothing to update: give at least one of ${UPDATABLE.join(', ')}`, {
        problems: ['the body changes no field'],
      });
    }
    return this.group.run(() => {
      const before = this.getOrThrow(id);
      const now = toDbTimestamp();
      const after: Issue = {
        ...before,
        title: body.title ?? before.title,
        description: body.description === undefined ? before.description : body.description,
        severity: body.severity ?? before.severity,
        status: body.status ?? before.status,
        category: body.category === undefined ? before.category : body.category,
        assigned_to: body.assigned_to === undefined ? before.assigned_to : body.assigned_to,
        tags: body.tags === undefined ? before.tags : JSON.stringify(body.tags),
        updated_at: now,
        resolved_at: resolvedAt(before, body.status, now),
      };
      this.issues.update(after);
      this.audit.append({
        action: 'update_issue',
        entity_type: 'issue',
        entity_id: id,
        user_id: actor,
        details: {
          fields,
          ...(after.status !== before.status ? { status_from: before.status, status_to: after.status } : {}),
          pii_types_found: this.piiTypesOf(after),
        },
      });
      return this.detail(after);
    });
  }

  /** The cascade removes the children; the files they stored go once the delete has committed. */
  async delete(id: string, actor: string): Promise<void> {
    const files = await this.group.run(() => {
      this.getOrThrow(id);
      const children = this.issues.countChildren(id);
      const paths = this.issues.listStoredFilePaths(id);
      this.issues.delete(id);
      this.audit.append({
        action: 'delete_issue',
        entity_type: 'issue',
        entity_id: id,
        user_id: actor,
        details: { children, stored_files: paths.length },
      });
      return paths;
    });
    this.storedFiles.removeAll(id, files);
  }

  list(query: ListIssuesQuery): IssueListResponse {
    const filter: IssueListFilter = {
      match: query.q === undefined ? undefined : toFtsQuery(query.q),
      status: query.status,
      severity: query.severity,
      category: query.category,
      assigned_to: query.assigned_to,
      tags: query.tag,
      created_from: toDbTime(query.created_from),
      created_to: toDbTime(query.created_to),
      updated_from: toDbTime(query.updated_from),
      updated_to: toDbTime(query.updated_to),
    };
    const sort = query.sort ?? (filter.match !== undefined ? 'relevance' : 'updated_at');
    if (sort === 'relevance' && filter.match === undefined) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'sort=relevance needs q', { problems: ['sort=relevance needs q'] });
    }
    const order = query.order ?? 'desc';
    const limit = query.limit ?? DEFAULT_LIMIT;
    const fingerprint = createHash('sha256').update(JSON.stringify(filter)).digest('base64url').slice(0, 16);
    const after = query.cursor === undefined ? undefined : this.readCursor(query.cursor, sort, order, fingerprint);
    try {
      const rows = this.issues.list({ ...filter, sort, order, limit: limit + 1, after });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map((row) => ({
          ...toIssueResponse(row),
          snippet: row.snippet === null ? null : snippetToHtml(row.snippet, SNIPPET_OPEN, SNIPPET_CLOSE),
        })),
        next_cursor: rows.length > limit ? encodeCursor({ s: sort, o: order, f: fingerprint, k: this.issues.sortKeyOf(last, sort) }) : null,
        total: query.include_total ? this.issues.count(filter) : null,
      };
    } catch (err) {
      if (err instanceof SearchQueryError) throw new DomainError(ErrorCode.INVALID_SEARCH_QUERY, 'the search could not be run on this q');
      throw err;
    }
  }

  private readCursor(cursor: string, sort: IssueSort, order: SortOrder, fingerprint: string): unknown[] {
    const decoded = decodeCursor(cursor, isIssueCursor);
    if (decoded.s !== sort || decoded.o !== order || decoded.f !== fingerprint || decoded.k.length !== this.issues.sortKeyLength(sort)) {
      throw new DomainError(ErrorCode.INVALID_CURSOR, 'the cursor belongs to another query; repeat the filters and sort it was made with');
    }
    return decoded.k;
  }

  private getOrThrow(id: string): Issue {
    const issue = this.issues.findById(id);
    if (!issue) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${id}`);
    return issue;
  }
}

/** Moving to resolved stamps resolved_at (once); reopening clears it; closing keeps it. */
function resolvedAt(before: Issue, status: Issue['status'] | undefined, now: string): string | null {
  if (status === undefined || status === before.status) return before.resolved_at;
  if (status === 'resolved') return now;
  if (status === 'open' || status === 'investigating') return null;
  return before.resolved_at;
}

function isIssueCursor(value: unknown): value is IssueCursor {
  const c = value as Partial<IssueCursor> | null;
  return (
    c !== null &&
    typeof c === 'object' &&
    typeof c.s === 'string' &&
    typeof c.o === 'string' &&
    typeof c.f === 'string' &&
    Array.isArray(c.k) &&
    c.k.length <= 3 &&
    c.k.every((v) => typeof v === 'string' || typeof v === 'number')
  );
}

function itemsOf(detail: IssueDetailResponse): number {
  const chunks = detail.log_streams.reduce((n, stream) => n + stream.chunks.length, 0);
  return detail.log_files.length + detail.image_attachments.length + detail.resolution_steps.length + detail.conversations.length + chunks;
}

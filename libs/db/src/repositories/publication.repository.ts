import type { Db } from '../database';
import type { IntegrationService } from '../models';
import { newId } from '../ids';

export type PublicationState = 'queued' | 'published' | 'failed';

/** A row of `publications` (migrations/023): one remote object we own, and the fate of its latest request. */
export interface Publication {
  id: string;
  issue_id: string;
  /** NULL for an issue's own ServiceNow incident (opened when a critical issue is created). */
  document_id: string | null;
  service: IntegrationService;
  /** JSON of the request's target options. */
  options: string;
  state: PublicationState;
  remote_id: string | null;
  remote_url: string | null;
  remote_display_id: string | null;
  sent_sha256: string | null;
  redacted_by_gate: number;
  attempts: number;
  last_error: string | null;
  pii_findings: string | null;
  next_attempt_at: number | null;
  requested_by: string;
  created_at: number;
  updated_at: number;
  published_at: number | null;
  /** ms since epoch: a create was sent and its outcome is unknown (migrations/028). */
  create_sent_at: number | null;
  /** The publication whose remote object this one writes into (one incident, one work item per issue). */
  attached_to: string | null;
  /** ms since epoch: when the reconciler last searched the remote side for this failed publication. */
  remote_checked_at: number | null;
  /** ServiceNow: the table of the remote object (incident, kb_knowledge), fixed once it exists. */
  remote_table: string | null;
}

export interface PublicationRequest {
  issue_id: string;
  document_id: string | null;
  service: IntegrationService;
  options: object;
  requested_by: string;
}

export interface RemoteRef {
  remote_id: string;
  remote_url: string;
  remote_display_id: string | null;
  /** ServiceNow: the record's table. */
  remote_table?: string | null;
}

export class PublicationRepository {
  private readonly getStmt;
  private readonly findDocStmt;
  private readonly findIssueStmt;
  private readonly listDocStmt;
  private readonly listIssueStmt;
  private readonly insertStmt;
  private readonly requeueStmt;
  private readonly remoteStmt;
  private readonly publishedStmt;
  private readonly retryStmt;
  private readonly failedStmt;
  private readonly createSentStmt;
  private readonly attachStmt;
  private readonly inDoubtStmt;
  private readonly checkedStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare(`SELECT * FROM publications WHERE id = ?`);
    this.findDocStmt = db.prepare(`SELECT * FROM publications WHERE document_id = ? AND service = ?`);
    this.findIssueStmt = db.prepare(`SELECT * FROM publications WHERE issue_id = ? AND service = ? AND document_id IS NULL`);
    this.listDocStmt = db.prepare(`SELECT * FROM publications WHERE document_id = ? ORDER BY service`);
    this.listIssueStmt = db.prepare(`SELECT * FROM publications WHERE issue_id = ? ORDER BY created_at, id`);
    this.insertStmt = db.prepare(
      `INSERT INTO publications (id, issue_id, document_id, service, options, state, requested_by, created_at, updated_at)
       VALUES (@id, @issue_id, @document_id, @service, @options, 'queued', @requested_by, @now, @now)`,
    );
    this.requeueStmt = db.prepare(
      `UPDATE publications SET state = 'queued', options = @options, requested_by = @requested_by, attempts = 0,
         last_error = NULL, pii_findings = NULL, next_attempt_at = NULL, updated_at = @now
       WHERE id = @id AND state != 'queued'`,
    );
    this.remoteStmt = db.prepare(
      `UPDATE publications SET remote_id = @remote_id, remote_url = @remote_url, remote_display_id = @remote_display_id, remote_table = COALESCE(@remote_table, remote_table), create_sent_at = NULL, updated_at = @now WHERE id = @id`,
    );
    this.publishedStmt = db.prepare(
      `UPDATE publications SET state = 'published', remote_id = @remote_id, remote_url = @remote_url, remote_display_id = @remote_display_id, remote_table = COALESCE(@remote_table, remote_table),
         sent_sha256 = @sent_sha256, redacted_by_gate = @redacted, attempts = attempts + 1, last_error = NULL, pii_findings = NULL,
         next_attempt_at = NULL, updated_at = @now, published_at = @now
       WHERE id = @id`,
    );
    this.createSentStmt = db.prepare(`UPDATE publications SET create_sent_at = ?, updated_at = ? WHERE id = ?`);
    this.attachStmt = db.prepare(`UPDATE publications SET attached_to = ?, updated_at = ? WHERE id = ?`);
    this.inDoubtStmt = db.prepare(
      `SELECT * FROM publications WHERE state = 'failed' AND remote_id IS NULL AND create_sent_at IS NOT NULL
         AND (remote_checked_at IS NULL OR remote_checked_at < ?) ORDER BY create_sent_at LIMIT ?`,
    );
    this.checkedStmt = db.prepare(
      `UPDATE publications SET remote_checked_at = ?, create_sent_at = CASE WHEN ? THEN NULL ELSE create_sent_at END WHERE id = ?`,
    );
    this.retryStmt = db.prepare(
      `UPDATE publications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
    );
    this.failedStmt = db.prepare(
      `UPDATE publications SET state = 'failed', attempts = attempts + 1, last_error = ?, pii_findings = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`,
    );
  }

  get(id: string): Publication | undefined {
    return this.getStmt.get(id) as Publication | undefined;
  }

  listForDocument(documentId: string): Publication[] {
    return this.listDocStmt.all(documentId) as Publication[];
  }

  /** Every publication of an issue: its documents' and its own incident (document_id NULL). */
  listForIssue(issueId: string): Publication[] {
    return this.listIssueStmt.all(issueId) as Publication[];
  }

  /**
   * The row for this target, queued for a new request: inserted, or reset if it had finished. `queued: false`
   * means a request for it is already in flight, and the caller should not enqueue a second job.
   */
  request(req: PublicationRequest, now = Date.now()): { publication: Publication; queued: boolean } {
    if (!this.db.inTransaction) throw new Error('a publication request is written in the transaction of its outbox job');
    const existing =
      req.document_id === null ? this.findIssueStmt.get(req.issue_id, req.service) : this.findDocStmt.get(req.document_id, req.service);
    const options = JSON.stringify(req.options);
    if (!existing) {
      const id = newId();
      this.insertStmt.run({
        id,
        issue_id: req.issue_id,
        document_id: req.document_id,
        service: req.service,
        options,
        requested_by: req.requested_by,
        now,
      });
      return { publication: this.get(id)!, queued: true };
    }
    const { id } = existing as Publication;
    const queued = this.requeueStmt.run({ id, options, requested_by: req.requested_by, now }).changes === 1;
    return { publication: this.get(id)!, queued };
  }

  /** The remote object exists: stored at once, in its own commit, before anything else can fail. */
  recordRemote(id: string, remote: RemoteRef, now = Date.now()): void {
    this.remoteStmt.run({ id, remote_table: null, ...remote, now });
  }

  markPublished(id: string, remote: RemoteRef, sentSha256: string, redacted: boolean, now = Date.now()): void {
    this.publishedStmt.run({ id, remote_table: null, ...remote, sent_sha256: sentSha256, redacted: redacted ? 1 : 0, now });
  }

  markRetrying(id: string, reason: string, nextAttemptAt: number | null, now = Date.now()): void {
    this.retryStmt.run(reason, nextAttemptAt, now, id);
  }

  markFailed(id: string, reason: string, piiFindings: object | null, now = Date.now()): void {
    this.failedStmt.run(reason, piiFindings === null ? null : JSON.stringify(piiFindings), now, id);
  }

  /** A create is about to be sent (`at`), or its outcome became known (null): committed before and after the call. */
  markCreateSent(id: string, at: number | null, now = Date.now()): void {
    this.createSentStmt.run(at, now, id);
  }

  /** From now on this publication writes into `ownerId`'s remote object. */
  attach(id: string, ownerId: string, now = Date.now()): void {
    this.attachStmt.run(ownerId, now, id);
  }

  /** Failed publications whose create may have committed on the remote side, not checked since `checkedBefore`. */
  listFailedInDoubt(checkedBefore: number, limit: number): Publication[] {
    return this.inDoubtStmt.all(checkedBefore, limit) as Publication[];
  }

  /** The reconciler looked; `settled` clears the doubt (it found the object, or gave up looking). */
  markRemoteChecked(id: string, settled: boolean, now = Date.now()): void {
    this.checkedStmt.run(now, settled ? 1 : 0, id);
  }
}

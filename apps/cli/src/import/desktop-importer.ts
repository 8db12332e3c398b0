import { existsSync, realpathSync } from 'node:fs';
import type { AuditLogRepository, Db } from '@tftsr/db';
import {
  AiConversationRepository,
  AiMessageRepository,
  deriveKey,
  DesktopCorruptError,
  DesktopSource,
  DesktopSourceError,
  DocumentRepository,
  ImageAttachmentRepository,
  IssueRepository,
  KnownIdsRepository,
  loadMigrations,
  LogFileProcessingRepository,
  LogFileRepository,
  migrationStatus,
  newId,
  openDatabase,
  OutboxRepository,
  RedactionRequestRepository,
  RepositorySet,
  ResolutionStepRepository,
  SettingRepository,
  toDbTimestamp,
  transaction,
} from '@tftsr/db';
import type { JobPayloads } from '@tftsr/jobs';
import { jobIdFor } from '@tftsr/jobs';
import { readPiiConfig } from '@tftsr/pii';
import { closeBlobStore, openBlobStore } from '@tftsr/storage';
import type { BlobStoreChoice, BlobStore } from '@tftsr/storage';
import { DomainError } from '@tftsr/api/common/domain-error';
import { sanitiseFileName } from '@tftsr/api/log-files/file-types';
import type { CliIo } from '../cli-io';
import { CliError } from '../cli-io';
import type { Stored } from './content-stager';
import { ContentStager } from './content-stager';
import { keyCandidates } from './desktop-keys';
import { CorruptRowError, DesktopImportError } from './import-errors';
import type { ImportSummary, ImportTable } from './import-summary';
import { describeNew, emptySummary, IMPORT_TABLES, SummaryBook } from './import-summary';
import type { DesktopBundle, IssuePlan } from './issue-plan';
import { ImportRedactor, placeSteps, planIssue } from './issue-plan';

export { IMPORT_TABLES } from './import-summary';
export type { ImportSummary, ImportTable, TableCount } from './import-summary';

export interface ImportDesktopOptions {
  desktopPath: string;
  keyFile?: string;
  dryRun: boolean;
  /** Where TRCAA_DB_KEY / TFTSR_DB_KEY are looked up. */
  env: Record<string, string | undefined>;
  service: { databasePath: string; databaseKey: string | null; dataDir: string; busyTimeoutMs?: number; blobStorage?: BlobStoreChoice };
}

export interface ImportIo extends CliIo {
  /** Called after each issue; the command draws a progress bar from it on a terminal. */
  progress?(done: number, total: number): void;
}

const ACTOR = 'local';
/** requested_by of the redactions carried over from the desktop app. */
const REQUESTER = 'desktop-import';

/** Imports a desktop app database into this service's database; see README, "Importing from the desktop app". */
export async function importDesktop(options: ImportDesktopOptions, io: ImportIo): Promise<ImportSummary> {
  try {
    return await importFrom(options, io);
  } catch (err) {
    // The reader lives in libs/db; its refusals are the user's to act on, as one line.
    if (err instanceof DesktopSourceError) throw new DesktopImportError(err.message);
    throw err;
  }
}

async function importFrom(options: ImportDesktopOptions, io: ImportIo): Promise<ImportSummary> {
  if (!existsSync(options.service.databasePath))
    throw new CliError(`there is no service database at ${options.service.databasePath}: run \`tftsr db migrate\` first`);
  if (existsSync(options.desktopPath) && realpathSync(options.desktopPath) === realpathSync(options.service.databasePath)) {
    throw new CliError(`--db ${options.desktopPath} is this service's own database: give the desktop app's tftsr.db`);
  }
  const source = DesktopSource.open(options.desktopPath, keyCandidates(options.desktopPath, options.keyFile, options.env));
  try {
    const db = openDatabase({
      path: options.service.databasePath,
      key: options.service.databaseKey,
      busyTimeoutMs: options.service.busyTimeoutMs,
      warn: (m) => io.err(m),
    });
    try {
      const { pending } = migrationStatus(db, loadMigrations());
      if (pending.length)
        throw new CliError(`the service database has ${pending.length} pending migration(s): run \`tftsr db migrate\` first`);
      const importer = new DesktopImporter(db, source, options);
      try {
        return await importer.run(io);
      } finally {
        importer.close();
      }
    } finally {
      db.close();
    }
  } finally {
    source.close();
  }
}

class DesktopImporter {
  private readonly known: KnownIdsRepository;
  private readonly blobs: BlobStore;
  private readonly audit: AuditLogRepository;
  private readonly summary: ImportSummary;
  private readonly book: SummaryBook;
  private readonly stager: ContentStager;
  private readonly repos;

  close(): void {
    closeBlobStore(this.blobs);
  }

  constructor(
    private readonly db: Db,
    private readonly source: DesktopSource,
    private readonly options: ImportDesktopOptions,
  ) {
    const repositories = new RepositorySet(db, options.service.databaseKey);
    this.known = repositories.get(KnownIdsRepository);
    const store = options.service.blobStorage ?? { kind: 'filesystem' };
    this.blobs = openBlobStore(store, options.service.dataDir, deriveKey(options.service.databaseKey, 'blob-encryption'));
    this.audit = repositories.audit();
    this.repos = {
      issues: repositories.get(IssueRepository),
      logFiles: repositories.get(LogFileRepository),
      processing: repositories.get(LogFileProcessingRepository),
      outbox: repositories.get(OutboxRepository),
      requests: repositories.get(RedactionRequestRepository),
      images: repositories.get(ImageAttachmentRepository),
      steps: repositories.get(ResolutionStepRepository),
      conversations: repositories.get(AiConversationRepository),
      messages: repositories.get(AiMessageRepository),
      documents: repositories.get(DocumentRepository),
      settings: repositories.get(SettingRepository),
    };
    this.summary = emptySummary({ dryRun: options.dryRun, level: source.info.level, encrypted: source.info.encrypted, runId: newId() });
    this.book = new SummaryBook(this.summary);
    this.stager = new ContentStager(this.blobs, this.repos.images, options.dryRun, (table, what, reason) =>
      this.book.warnSkipped(table, what, reason),
    );
  }

  async run(io: ImportIo): Promise<ImportSummary> {
    const issues = this.source.issues();
    for (const table of IMPORT_TABLES) this.summary.counts[table].found = this.source.count(table);
    let done = 0;
    for (const row of issues) {
      let bundle: DesktopBundle | null = null;
      try {
        bundle = this.source.bundle(row);
      } catch (err) {
        if (!(err instanceof DesktopCorruptError)) throw err;
        this.book.skipIssue({ issue: row } as DesktopBundle, err.message);
      }
      if (bundle) await this.importIssue(bundle, io);
      io.progress?.((done += 1), issues.length);
    }
    this.reportOrphans();
    const imported = this.book.importedRows();
    // A run that changed nothing writes nothing, not even its own entry: importing twice adds nothing.
    if (!this.options.dryRun && imported > 0) {
      transaction(this.db, () =>
        this.audit.append({
          action: 'import_desktop',
          entity_type: 'desktop_database',
          entity_id: this.summary.runId,
          user_id: ACTOR,
          details: {
            run_id: this.summary.runId,
            migration_level: this.summary.level,
            encrypted: this.summary.encrypted,
            counts: Object.fromEntries(IMPORT_TABLES.map((t) => [t, this.summary.counts[t].imported])),
            skipped: this.summary.skipped.length,
            warnings: this.summary.warnings.length,
          },
        }),
      );
    }
    return this.summary;
  }

  /** The app never enabled foreign keys and deleted issues statement by statement: children may outlive their issue. */
  private reportOrphans(): void {
    const orphans = Object.entries(this.source.orphans()) as [ImportTable, number][];
    for (const [table, n] of orphans.filter(([, count]) => count > 0)) {
      this.summary.counts[table].skipped += n;
      this.summary.warnings.push(`${n} ${table} row(s) belong to no issue (left by the app's own deletes): not imported`);
    }
  }

  private async importIssue(bundle: DesktopBundle, io: ImportIo): Promise<void> {
    const redactor = new ImportRedactor(readPiiConfig(this.repos.settings));
    let plan: IssuePlan;
    try {
      plan = planIssue(bundle, redactor);
    } catch (err) {
      if (!(err instanceof CorruptRowError)) throw err;
      this.book.skipIssue(bundle, `a corrupt row: ${err.message}`);
      return;
    }
    const fresh = this.freshRows(plan);
    this.summary.warnings.push(...plan.notes);
    const stored: Stored = { blobs: [], files: [], images: [] };
    try {
      await this.stager.stage(fresh, stored, redactor);
      if (this.options.dryRun) {
        this.book.count(fresh, stored, plan);
        io.out(`would import issue ${plan.issue.id}: ${describeNew(fresh, stored)}`);
        return;
      }
      const imported = this.record(fresh, stored, redactor);
      if (imported) this.book.count(fresh, stored, plan);
      else this.book.countPresent(plan);
    } catch (err) {
      await this.stager.discard(stored);
      const reason =
        err instanceof DomainError || (err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') ? (err as Error).message : null;
      if (reason === null) throw err;
      this.book.skipIssue(bundle, reason);
    }
  }

  /** Only the rows this service does not hold yet: ids are kept, so a rerun finds what it imported. */
  private freshRows(plan: IssuePlan): IssuePlan & { issueIsNew: boolean } {
    const missing = <T extends { id: string }>(table: Parameters<KnownIdsRepository['existing']>[0], rows: T[]) => {
      const have = this.known.existing(
        table,
        rows.map((r) => r.id),
      );
      return rows.filter((r) => !have.has(r.id));
    };
    const issueIsNew = missing('issues', [plan.issue]).length === 1;
    const taken = new Set(this.repos.steps.listForIssue(plan.issue.id).map((s) => s.step_order));
    const placed = placeSteps(missing('resolution_steps', plan.steps), taken, issueIsNew);
    if (placed.renumbered > 0)
      plan.notes.push(`issue ${plan.issue.id}: ${placed.renumbered} resolution step(s) renumbered (the desktop repeated a step_order)`);
    return {
      ...plan,
      issueIsNew,
      steps: placed.steps,
      conversations: missing('ai_conversations', plan.conversations),
      messages: missing('ai_messages', plan.messages),
      documents: missing('documents', plan.documents),
      logFiles: missing('log_files', plan.logFiles),
      images: missing('image_attachments', plan.images),
      timeline: missing('audit_log', plan.timeline),
    };
  }

  /** One transaction per issue: its rows, its log files' jobs, its timeline and its audit entry. False: nothing new. */
  private record(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored, redactor: ImportRedactor): boolean {
    const nothing =
      !plan.issueIsNew &&
      stored.files.length +
        stored.images.length +
        plan.steps.length +
        plan.conversations.length +
        plan.messages.length +
        plan.documents.length +
        plan.timeline.length ===
        0;
    if (nothing) return false;
    return transaction(this.db, () => {
      const r = this.repos;
      if (plan.issueIsNew) r.issues.insert(plan.issue);
      else r.issues.touch(plan.issue.id, toDbTimestamp());
      plan.steps.forEach((s) => r.steps.insert(s));
      plan.conversations.forEach((c) => r.conversations.insert(c));
      plan.messages.forEach((m) => r.messages.insert(m));
      plan.documents.forEach((d) => r.documents.insert(d));
      const jobs: string[] = [];
      const redactionRequests: string[] = [];
      for (const file of stored.files) {
        const planned = plan.logFiles.find((f) => f.id === file.id)!;
        r.logFiles.insert({
          id: file.id,
          issue_id: plan.issue.id,
          file_name: sanitiseFileName(planned.file_name),
          file_path: file.path,
          file_size: file.size,
          mime_type: textMimeType(planned.mime_type),
          content_hash: null,
          uploaded_at: planned.uploaded_at,
          redacted: 0,
        });
        r.processing.create(file.id);
        for (const name of ['hash', 'detect_pii'] as const) {
          const job = r.outbox.add(name, (outbox_id) => ({ outbox_id, log_file_id: file.id }));
          jobs.push(jobIdFor(name, JSON.parse(job.payload) as JobPayloads['hash']));
        }
        // The desktop applied a redaction to this file: it becomes a decision to redact every span our scan finds
        // (the app kept no list of what was approved, and its detector missed much). The worker starts its job
        // once detect_pii has stored the spans.
        if (planned.desktop_redacted) {
          const request = {
            id: newId(),
            log_file_id: file.id,
            span_ids: null,
            requested_by: REQUESTER,
            state: 'pending' as const,
            failure_reason: null,
            created_at: toDbTimestamp(),
            finished_at: null,
          };
          r.requests.insert(request);
          redactionRequests.push(request.id);
        }
      }
      for (const image of stored.images) {
        const planned = plan.images.find((i) => i.id === image.id)!;
        r.images.insert({
          ...image,
          file_path: image.path,
          file_size: image.size,
          issue_id: plan.issue.id,
          uploaded_at: planned.uploaded_at,
          pii_warning_acknowledged: 1,
          is_paste: planned.is_paste ? 1 : 0,
        });
      }
      // The desktop's timeline lives in our audit trail (as the app also audited each event), with its id and time.
      for (const event of plan.timeline) {
        this.audit.appendCarriedOver({
          id: event.id,
          timestamp: event.timestamp,
          action: event.event_type,
          entity_type: 'issue',
          entity_id: plan.issue.id,
          user_id: ACTOR,
          details: { issue_id: plan.issue.id, description: event.description, imported_from: 'desktop', run_id: this.summary.runId },
        });
      }
      this.audit.append({
        action: 'import_desktop',
        entity_type: 'issue',
        entity_id: plan.issue.id,
        user_id: ACTOR,
        details: {
          run_id: this.summary.runId,
          issue_created: plan.issueIsNew,
          log_file_ids: stored.files.map((f) => f.id),
          image_ids: stored.images.map((i) => i.id),
          counts: {
            resolution_steps: plan.steps.length,
            ai_conversations: plan.conversations.length,
            ai_messages: plan.messages.length,
            documents: plan.documents.length,
            timeline_events: plan.timeline.length,
          },
          jobs,
          redaction_request_ids: redactionRequests,
          pii_types_redacted: redactor.types(),
        },
      });
      return true;
    });
  }
}

/** The stored content is the text the app extracted (a PDF's too): its type is a text type. */
function textMimeType(desktop: string): string {
  return /^text\/|^application\/(json|x-ndjson|yaml|xml)$/.test(desktop) ? desktop : 'text/plain';
}

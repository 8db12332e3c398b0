import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import {
  AiConversationRepository,
  AiMessageRepository,
  AuditLogRepository,
  Db,
  deriveKey,
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
  ResolutionStepRepository,
  toDbTimestamp,
  transaction,
} from '../../../../libs/db/src';
import { jobIdFor } from '../../../../libs/jobs/src';
import { BlobStore } from '../../../../libs/storage/src';
import { DomainError } from '../../../api/src/common/domain-error';
import { ImageSanitiser } from '../../../api/src/images/image-sanitiser.service';
import { EXTENSIONS, MIME_TYPES, sniffImage } from '../../../api/src/images/image-sniff';
import { sanitiseFileName } from '../../../api/src/log-files/file-types';
import { readPiiConfig } from '../../../worker/src/pii-settings';
import { CliError, CliIo } from '../cli-io';
import { loadImageBytes, loadLogContent } from './desktop-content';
import { DesktopSource, keyCandidates } from './desktop-source';
import { CorruptFileError, CorruptRowError } from './import-errors';
import { DesktopBundle, ImportRedactor, IssuePlan, listDesktopIssues, placeSteps, planIssue, readBundle } from './issue-plan';

export const IMPORT_TABLES = ['issues', 'log_files', 'image_attachments', 'resolution_steps', 'ai_conversations', 'ai_messages', 'documents', 'timeline_events'] as const;
export type ImportTable = (typeof IMPORT_TABLES)[number];

export interface ImportDesktopOptions {
  desktopPath: string;
  keyFile?: string;
  dryRun: boolean;
  /** Where TRCAA_DB_KEY / TFTSR_DB_KEY are looked up. */
  env: Record<string, string | undefined>;
  service: { databasePath: string; databaseKey: string | null; dataDir: string; busyTimeoutMs?: number };
}

export interface ImportIo extends CliIo {
  /** Called after each issue; the command draws a progress bar from it on a terminal. */
  progress?(done: number, total: number): void;
}

export interface TableCount {
  /** Rows in the desktop database. */
  found: number;
  /** Written now (or, in a dry run, that would be). */
  imported: number;
  /** Already here from an earlier run. */
  present: number;
  skipped: number;
}

export interface ImportSummary {
  dryRun: boolean;
  level: number;
  encrypted: boolean;
  runId: string;
  counts: Record<ImportTable, TableCount>;
  skipped: { what: string; reason: string }[];
  warnings: string[];
}

const ACTOR = 'local';
/** requested_by of the redactions carried over from the desktop app. */
const REQUESTER = 'desktop-import';

/** Imports a desktop app database into this service's database; see README, "Importing from the desktop app". */
export async function importDesktop(options: ImportDesktopOptions, io: ImportIo): Promise<ImportSummary> {
  if (!existsSync(options.service.databasePath)) throw new CliError(`there is no service database at ${options.service.databasePath}: run \`tftsr db migrate\` first`);
  const source = DesktopSource.open(options.desktopPath, keyCandidates(options.desktopPath, options.keyFile, options.env));
  try {
    const db = openDatabase({ path: options.service.databasePath, key: options.service.databaseKey, busyTimeoutMs: options.service.busyTimeoutMs, warn: (m) => io.err(m) });
    try {
      const { pending } = migrationStatus(db, loadMigrations());
      if (pending.length) throw new CliError(`the service database has ${pending.length} pending migration(s): run \`tftsr db migrate\` first`);
      return await new DesktopImporter(db, source, options).run(io);
    } finally {
      db.close();
    }
  } finally {
    source.close();
  }
}

interface Stored {
  blobs: string[];
  files: { id: string; path: string; size: number }[];
  images: { id: string; path: string; size: number; upload_hash: string; mime_type: string; file_name: string }[];
}

class DesktopImporter {
  private readonly known: KnownIdsRepository;
  private readonly blobs: BlobStore;
  private readonly audit: AuditLogRepository;
  private readonly sanitiser = new ImageSanitiser();
  private readonly summary: ImportSummary;
  private readonly repos;

  constructor(
    private readonly db: Db,
    private readonly source: DesktopSource,
    private readonly options: ImportDesktopOptions,
  ) {
    this.known = new KnownIdsRepository(db);
    this.blobs = new BlobStore(options.service.dataDir, deriveKey(options.service.databaseKey, 'blob-encryption'));
    this.audit = new AuditLogRepository(db, deriveKey(options.service.databaseKey, 'audit-hmac'));
    this.repos = {
      issues: new IssueRepository(db),
      logFiles: new LogFileRepository(db),
      processing: new LogFileProcessingRepository(db),
      outbox: new OutboxRepository(db),
      requests: new RedactionRequestRepository(db),
      images: new ImageAttachmentRepository(db),
      steps: new ResolutionStepRepository(db),
      conversations: new AiConversationRepository(db),
      messages: new AiMessageRepository(db),
      documents: new DocumentRepository(db),
    };
    const counts = Object.fromEntries(IMPORT_TABLES.map((t) => [t, { found: 0, imported: 0, present: 0, skipped: 0 }])) as Record<ImportTable, TableCount>;
    this.summary = { dryRun: options.dryRun, level: source.info.level, encrypted: source.info.encrypted, runId: newId(), counts, skipped: [], warnings: [] };
  }

  async run(io: ImportIo): Promise<ImportSummary> {
    const issues = listDesktopIssues(this.source);
    for (const table of IMPORT_TABLES) this.summary.counts[table].found = this.source.count(table);
    let done = 0;
    for (const row of issues) {
      let bundle: DesktopBundle | null = null;
      try {
        bundle = readBundle(this.source, row);
      } catch (err) {
        if (!(err instanceof CorruptFileError)) throw err;
        this.skipIssue({ issue: row } as DesktopBundle, err.message);
      }
      if (bundle) await this.importIssue(bundle, io);
      io.progress?.((done += 1), issues.length);
    }
    const imported = IMPORT_TABLES.reduce((n, t) => n + this.summary.counts[t].imported, 0);
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

  private async importIssue(bundle: DesktopBundle, io: ImportIo): Promise<void> {
    const redactor = new ImportRedactor(readPiiConfig(this.db));
    let plan: IssuePlan;
    try {
      plan = planIssue(bundle, redactor);
    } catch (err) {
      if (!(err instanceof CorruptRowError)) throw err;
      this.skipIssue(bundle, `a corrupt row: ${err.message}`);
      return;
    }
    const fresh = this.freshRows(plan);
    this.summary.warnings.push(...plan.notes);
    const stored: Stored = { blobs: [], files: [], images: [] };
    try {
      await this.storeContent(fresh, stored, redactor);
      if (this.options.dryRun) {
        this.count(fresh, stored, plan);
        io.out(`would import issue ${plan.issue.id}: ${describeNew(fresh, stored)}`);
        return;
      }
      const imported = this.record(fresh, stored, redactor);
      if (imported) this.count(fresh, stored, plan);
      else this.countPresent(plan);
    } catch (err) {
      await Promise.all(stored.blobs.map((p) => this.blobs.remove(p)));
      const reason = err instanceof DomainError || (err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') ? (err as Error).message : null;
      if (reason === null) throw err;
      this.skipIssue(bundle, reason);
    }
  }

  /** Only the rows this service does not hold yet: ids are kept, so a rerun finds what it imported. */
  private freshRows(plan: IssuePlan): IssuePlan & { issueIsNew: boolean } {
    const missing = <T extends { id: string }>(table: Parameters<KnownIdsRepository['existing']>[0], rows: T[]) => {
      const have = this.known.existing(table, rows.map((r) => r.id));
      return rows.filter((r) => !have.has(r.id));
    };
    const issueIsNew = missing('issues', [plan.issue]).length === 1;
    const taken = new Set(this.repos.steps.listForIssue(plan.issue.id).map((s) => s.step_order));
    const placed = placeSteps(missing('resolution_steps', plan.steps), taken, issueIsNew);
    if (placed.renumbered > 0) plan.notes.push(`issue ${plan.issue.id}: ${placed.renumbered} resolution step(s) renumbered (the desktop repeated a step_order)`);
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

  /** Contents first, encrypted like uploads; a file with no readable content is left out with a warning. */
  private async storeContent(plan: IssuePlan, stored: Stored, redactor: ImportRedactor): Promise<void> {
    for (const file of plan.logFiles) {
      const content = loadLogContent(file.row);
      if (content.bytes === null) {
        this.warnSkipped('log_files', `log file ${file.id} (${JSON.stringify(file.file_name)}, issue ${plan.issue.id})`, `no content: ${content.problem}`);
        continue;
      }
      if (this.options.dryRun) {
        stored.files.push({ id: file.id, path: '', size: content.bytes.length });
        continue;
      }
      const blob = await this.blobs.write(Readable.from([content.bytes]));
      stored.blobs.push(blob.path);
      stored.files.push({ id: file.id, path: blob.path, size: blob.size });
    }
    for (const image of plan.images) {
      const what = `image ${image.id} (${JSON.stringify(image.file_name)}, issue ${plan.issue.id})`;
      const loaded = loadImageBytes(image.row);
      if (loaded.bytes === null) {
        this.warnSkipped('image_attachments', what, `no content: ${loaded.problem}`);
        continue;
      }
      const sniffed = sniffImage(loaded.bytes);
      if (sniffed.type === null) {
        this.warnSkipped('image_attachments', what, `not an accepted image: ${sniffed.reason}`);
        continue;
      }
      let clean;
      try {
        clean = await this.sanitiser.clean(loaded.bytes, sniffed.type);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        this.warnSkipped('image_attachments', what, err.message);
        continue;
      }
      // The same bytes twice on one issue (the desktop never deduplicated) are kept once, as uploads are.
      const uploadHash = createHash('sha256').update(loaded.bytes).digest('hex');
      const twin = this.repos.images.findByUploadHash(plan.issue.id, uploadHash)?.id ?? stored.images.find((i) => i.upload_hash === uploadHash)?.id;
      if (twin !== undefined) {
        this.warnSkipped('image_attachments', what, `the same image as ${twin}`);
        continue;
      }
      const meta = { id: image.id, upload_hash: uploadHash, mime_type: MIME_TYPES[clean.type], file_name: imageName(redactor.redact(image.file_name), clean.type) };
      if (this.options.dryRun) {
        stored.images.push({ ...meta, path: '', size: clean.bytes.length });
        continue;
      }
      const blob = await this.blobs.write(Readable.from([clean.bytes]));
      stored.blobs.push(blob.path);
      stored.images.push({ ...meta, path: blob.path, size: blob.size });
    }
  }

  /** One transaction per issue: its rows, its log files' jobs, its timeline and its audit entry. False: nothing new. */
  private record(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored, redactor: ImportRedactor): boolean {
    const nothing = !plan.issueIsNew && stored.files.length + stored.images.length + plan.steps.length + plan.conversations.length + plan.messages.length + plan.documents.length + plan.timeline.length === 0;
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
          const job = r.outbox.add('ingest', name, (outbox_id) => ({ outbox_id, log_file_id: file.id }));
          jobs.push(jobIdFor(name, { outbox_id: job.id, log_file_id: file.id }));
        }
        // The desktop applied a redaction to this file: it becomes a decision to redact every span our scan finds
        // (the app kept no list of what was approved, and its detector missed much). The worker starts its job
        // once detect_pii has stored the spans.
        if (planned.desktop_redacted) {
          const request = { id: newId(), log_file_id: file.id, span_ids: null, requested_by: REQUESTER, state: 'pending' as const, failure_reason: null, created_at: toDbTimestamp(), finished_at: null };
          r.requests.insert(request);
          redactionRequests.push(request.id);
        }
      }
      for (const image of stored.images) {
        const planned = plan.images.find((i) => i.id === image.id)!;
        r.images.insert({ ...image, file_path: image.path, file_size: image.size, issue_id: plan.issue.id, uploaded_at: planned.uploaded_at, pii_warning_acknowledged: 1, is_paste: planned.is_paste ? 1 : 0 });
      }
      // The desktop's timeline lives in our audit trail (as the app also audited each event), with its id and time.
      for (const event of plan.timeline) {
        this.audit.append({
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
          counts: { resolution_steps: plan.steps.length, ai_conversations: plan.conversations.length, ai_messages: plan.messages.length, documents: plan.documents.length, timeline_events: plan.timeline.length },
          jobs,
          redaction_request_ids: redactionRequests,
          pii_types_redacted: redactor.types(),
        },
      });
      return true;
    });
  }

  private count(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored, all: IssuePlan): void {
    const c = this.summary.counts;
    const add = (table: ImportTable, imported: number, total: number, skipped = 0) => {
      c[table].imported += imported;
      c[table].present += total - imported - skipped;
    };
    add('issues', plan.issueIsNew ? 1 : 0, 1);
    add('log_files', stored.files.length, all.logFiles.length, plan.logFiles.length - stored.files.length);
    add('image_attachments', stored.images.length, all.images.length, plan.images.length - stored.images.length);
    add('resolution_steps', plan.steps.length, all.steps.length);
    add('ai_conversations', plan.conversations.length, all.conversations.length);
    add('ai_messages', plan.messages.length, all.messages.length);
    add('documents', plan.documents.length, all.documents.length);
    add('timeline_events', plan.timeline.length, all.timeline.length);
  }

  private countPresent(all: IssuePlan): void {
    const c = this.summary.counts;
    c.issues.present += 1;
    c.log_files.present += all.logFiles.length;
    c.image_attachments.present += all.images.length;
    c.resolution_steps.present += all.steps.length;
    c.ai_conversations.present += all.conversations.length;
    c.ai_messages.present += all.messages.length;
    c.documents.present += all.documents.length;
    c.timeline_events.present += all.timeline.length;
  }

  private warnSkipped(table: ImportTable, what: string, reason: string): void {
    this.summary.counts[table].skipped += 1;
    this.summary.warnings.push(`${what}: skipped: ${reason}`);
  }

  private skipIssue(bundle: DesktopBundle, reason: string): void {
    this.summary.counts.issues.skipped += 1;
    this.summary.skipped.push({ what: `issue ${String(bundle.issue.id)}`, reason });
  }
}

/** The stored content is the text the app extracted (a PDF's too): its type is a text type. */
function textMimeType(desktop: string): string {
  return /^text\/|^application\/(json|x-ndjson|yaml|xml)$/.test(desktop) ? desktop : 'text/plain';
}

function describeNew(plan: IssuePlan & { issueIsNew: boolean }, stored: Stored): string {
  const parts = [
    [plan.issueIsNew ? 1 : 0, 'issue'],
    [stored.files.length, 'log file(s)'],
    [stored.images.length, 'image(s)'],
    [plan.steps.length, '5-Why step(s)'],
    [plan.conversations.length, 'conversation(s)'],
    [plan.messages.length, 'message(s)'],
    [plan.documents.length, 'document(s)'],
    [plan.timeline.length, 'timeline event(s)'],
  ].filter(([n]) => Number(n) > 0);
  return parts.length === 0 ? 'nothing new' : parts.map(([n, what]) => `${n} ${what}`).join(', ');
}

/** The desktop's name as harmless metadata, with an extension that matches what is stored (a BMP becomes .png). */
function imageName(raw: string, type: keyof typeof EXTENSIONS): string {
  const name = sanitiseFileName(raw);
  const dot = name.lastIndexOf('.');
  if (dot > 0 && EXTENSIONS[type].includes(name.slice(dot + 1).toLowerCase())) return name;
  return `${dot > 0 ? name.slice(0, dot) : name}.${EXTENSIONS[type][0]}`;
}

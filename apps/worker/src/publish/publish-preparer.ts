import { Injectable } from '@nestjs/common';
import {
  CredentialRepository,
  deriveKey,
  DocumentRepository,
  IntegrationConfigRepository,
  IssueRepository,
  Publication,
  SettingRepository,
} from '@tftsr/db';
import {
  checkTargetUrl,
  cleanText,
  credentialExpired,
  CredentialIntegrityError,
  decryptCredential,
  markdownToText,
  PublishContent,
  PublishOptions,
  PublishTarget,
} from '@tftsr/integrations';
import { WorkerConfig } from '../config/worker.config';
import { exitGate, readPiiConfig } from '@tftsr/pii';
import { GateFinding, GateMode, piiGate } from './pii-gate';
import { ExistingObjectPolicy, Placement } from './placement';
import { readSetting } from './worker-settings';

/** A failure that retrying cannot fix: it ends the publication as failed, with its reason. */
export class PublishRefused extends Error {
  constructor(
    message: string,
    readonly findings: GateFinding[] | null = null,
  ) {
    super(message);
  }
}

/** What preparePublication() hands the send: the secret lives only as long as the attempt. */
export interface Prepared {
  target: PublishTarget;
  content: PublishContent;
  secret: string;
  redaction: { types: string[]; findings: number } | null;
}

/**
 * What a publication sends and where, worked out before any connection: the source, the URL, the credential,
 * the PII gate, the rendered bodies, and the target the issue's existing incident or work item dictates.
 */
@Injectable()
export class PublishPreparer {
  private readonly credentialKey: Buffer;

  constructor(
    private readonly config: WorkerConfig,
    private readonly documents: DocumentRepository,
    private readonly issues: IssueRepository,
    private readonly configs: IntegrationConfigRepository,
    private readonly credentials: CredentialRepository,
    private readonly settings: SettingRepository,
  ) {
    this.credentialKey = deriveKey(config.databaseKey, 'credential-encryption');
  }

  /** Everything that can refuse without a connection: the source, the URL, the credential, the PII gate. */
  preparePublication(publication: Publication): Prepared {
    const { service } = publication;
    const issue = this.issues.findById(publication.issue_id);
    if (!issue) throw new PublishRefused('the issue no longer exists');
    const doc = publication.document_id === null ? null : this.documents.get(publication.document_id);
    if (publication.document_id !== null && !doc) throw new PublishRefused('the document no longer exists');
    const config = this.configs.get(service);
    if (!config) throw new PublishRefused(`${service} is not configured`);
    const policy = {
      extraHosts: readSetting<string[]>(this.settings, 'integrations.allowed_hosts', []),
      testOrigins: this.config.testIntegrationOrigins,
    };
    const url = checkTargetUrl(config.base_url, service, policy);
    if (!url.ok) throw new PublishRefused(`the ${service} base URL is not allowed: ${url.reason}`);
    const credential = this.credentials.get(service);
    if (!credential) throw new PublishRefused(`no ${service} credential is stored`);
    if (credentialExpired(credential.expires_at))
      throw new PublishRefused(`the ${service} credential expired at ${credential.expires_at} UTC`);
    let secret: string;
    try {
      secret = decryptCredential(credential.encrypted_token, service, this.credentialKey);
    } catch (err) {
      if (err instanceof CredentialIntegrityError) throw new PublishRefused(err.message);
      throw err;
    }

    // What is scanned is what is sent: ANSI escapes and characters XML 1.0 forbids are cleaned first.
    const title = cleanText(doc ? doc.title : issue.title);
    const markdown = cleanText(doc ? doc.content_md : incidentBody(issue.id, issue.severity, issue.description));
    const mode = readSetting<GateMode>(this.settings, 'publishing.pii_gate', 'block') === 'redact' ? 'redact' : 'block';
    const options = JSON.parse(publication.options) as PublishOptions;
    const optionFields = Object.fromEntries(Object.entries(options).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const piiConfig = readPiiConfig(this.settings);
    const gate = piiGate(title, markdown, piiConfig, mode, { severity: issue.severity, ...optionFields });
    if (gate.verdict === 'blocked') {
      const listed = gate.findings.map((f) => `${f.pii_type} in ${f.field} at ${f.start}-${f.end} (${f.masked})`).join('; ');
      throw new PublishRefused(
        `the PII gate found ${gate.types.join(', ')}; nothing was sent. Redact or edit the document, or set publishing.pii_gate to redact. Found: ${listed}`,
        gate.findings,
      );
    }
    // The plain-text rendering (ServiceNow fields) leaves too: it passes the same gate, blocking.
    const text = markdownToText(gate.markdown);
    const plain = exitGate({ text: { kind: 'text', text } }, piiConfig, 'block');
    if (plain.verdict === 'blocked')
      throw new PublishRefused(
        `the PII gate found ${plain.types.join(', ')} in the plain-text rendering; nothing was sent`,
        plain.findings,
      );
    const content: PublishContent = {
      publicationId: publication.id,
      title: gate.title,
      markdown: gate.markdown,
      text,
      html: gate.html,
      severity: issue.severity,
      docType: doc ? doc.doc_type : null,
    };
    const target: PublishTarget = {
      service,
      baseUrl: url.url,
      username: config.username,
      projectName: config.project_name,
      spaceKey: config.space_key,
      options,
    };
    return { target, content, secret, redaction: gate.verdict === 'redacted' ? { types: gate.types, findings: gate.findings } : null };
  }

  /** The settings that say where a document goes when its issue already has an incident or a work item. */
  existingObjectPolicy(): ExistingObjectPolicy {
    const incident = readSetting<string>(this.settings, 'publishing.servicenow.existing_incident', 'work_notes');
    const workItem = readSetting<string>(this.settings, 'publishing.azuredevops.existing_work_item', 'comment');
    return {
      servicenow: incident === 'kb_knowledge' ? 'kb_knowledge' : 'work_notes',
      azuredevops: workItem === 'description' ? 'description' : 'comment',
    };
  }

  /** The target with the table the placement or the existing object fixes (ServiceNow). */
  placedTarget(publication: Publication, target: PublishTarget, placement: Placement): PublishTarget {
    if (target.service !== 'servicenow') return target;
    const table =
      placement.kind === 'own'
        ? (placement.table ?? (publication.remote_table as 'incident' | 'kb_knowledge' | null) ?? target.options.table)
        : 'incident';
    const options: PublishOptions = { ...target.options, table };
    if (table === 'kb_knowledge' && !options.kb_knowledge_base) {
      const kb = readSetting<string>(this.settings, 'publishing.servicenow.kb_knowledge_base', '');
      if (!kb)
        throw new PublishRefused(
          'this issue already has an incident and publishing.servicenow.existing_incident is kb_knowledge, but no knowledge base is set: set publishing.servicenow.kb_knowledge_base or pass kb_knowledge_base',
        );
      options.kb_knowledge_base = kb;
    }
    return { ...target, options };
  }
}

/** The body of the incident a critical issue opens: its description, and where it lives. */
function incidentBody(issueId: string, severity: string, description: string | null): string {
  return [description?.trim() || '_No description yet._', '', `Opened by TFTSR for issue ${issueId} (severity ${severity}).`].join('\n');
}

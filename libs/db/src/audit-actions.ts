import { TARGET_NAMES, targetOf } from '../../integrations/src/targets/registry';
import type { IntegrationService } from '../../integrations/src/targets/registry';

/** What a timeline shows for an action (documents' "Event" column). */
export interface AuditActionInfo {
  readonly label: string;
}

/**
 * Every action this service writes to the audit trail, with its label. The strings are stored, and each entry's
 * hash covers its action, so an action is never renamed: the desktop app's rows and existing chains depend on them.
 */
const FIXED_AUDIT_ACTIONS = {
  // Issues and their 5-Whys
  create_issue: { label: 'Issue Created' },
  update_issue: { label: 'Issue Updated' },
  delete_issue: { label: 'Issue Deleted' },
  purge_issue: { label: 'Issue Purged' },
  add_five_why: { label: 'Why Level Added' },
  update_five_why: { label: 'Why Level Updated' },
  delete_five_why: { label: 'Why Level Removed' },
  reorder_five_whys: { label: 'Whys Reordered' },
  // Log files and log streams
  upload_log_file: { label: 'Log File Uploaded' },
  create_log_stream: { label: 'Log Stream Created' },
  close_log_chunk: { label: 'Log Chunk Closed' },
  hash_log_file: { label: 'Log File Hashed' },
  hash_log_file_failed: { label: 'Log File Hashing Failed' },
  detect_pii: { label: 'PII Scan Completed' },
  detect_pii_failed: { label: 'PII Scan Failed' },
  download_original_log_file: { label: 'Original Log File Downloaded' },
  // PII review and redaction
  reveal_pii: { label: 'PII Revealed' },
  decide_pii: { label: 'PII Decisions Recorded' },
  add_manual_pii_spans: { label: 'PII Marked by Hand' },
  keep_pii: { label: 'PII Kept' },
  request_redaction: { label: 'Redaction Requested' },
  request_finalize: { label: 'Finalization Requested' },
  apply_redactions: { label: 'Redactions Applied' },
  apply_redactions_failed: { label: 'Redaction Failed' },
  finalize_log_file: { label: 'Log File Finalized' },
  // Images
  upload_image_attachment: { label: 'Image Attached' },
  upload_paste_image: { label: 'Image Pasted' },
  delete_image_attachment: { label: 'Image Removed' },
  // AI conversations
  create_conversation: { label: 'AI Conversation Started' },
  add_message: { label: 'AI Message Added' },
  ai_send: { label: 'Sent to the AI Provider' },
  // Documents and publishing (publish_to_<service> below, one per target)
  generate_rca: { label: 'RCA Document Generated' },
  generate_postmortem: { label: 'Post-Mortem Generated' },
  update_document: { label: 'Document Updated' },
  delete_document: { label: 'Document Deleted' },
  export_document: { label: 'Document Exported' },
  request_publish: { label: 'Publishing Requested' },
  attach_publication: { label: 'Publication Attached' },
  send_remote_create: { label: 'Remote Object Creation Sent' },
  record_remote_object: { label: 'Remote Object Recorded' },
  publish_attempt_failed: { label: 'Publishing Attempt Failed' },
  // Webhooks
  create_webhook: { label: 'Webhook Created' },
  delete_webhook: { label: 'Webhook Deleted' },
  deliver_webhook: { label: 'Webhook Delivered' },
  deliver_webhook_failed: { label: 'Webhook Delivery Failed' },
  // Administration
  create_api_key: { label: 'API Key Created' },
  revoke_api_key: { label: 'API Key Revoked' },
  update_setting: { label: 'Setting Updated' },
  save_integration_config: { label: 'Integration Configured' },
  save_credential: { label: 'Credential Saved' },
  delete_credential: { label: 'Credential Deleted' },
  upgrade_credential_token_hashes: { label: 'Credential Token Hashes Upgraded' },
  // The database and the desktop import (command-line tool)
  db_encrypt: { label: 'Database Encrypted' },
  db_rekey: { label: 'Database Key Changed' },
  db_restore: { label: 'Database Restored' },
  import_desktop: { label: 'Imported from the Desktop App' },
} as const satisfies { readonly [action: string]: AuditActionInfo };

type PublishAction = `publish_to_${IntegrationService}` | `publish_to_${IntegrationService}_failed`;

/** One pair per publishing target, derived from the registry like every other list of services. */
const PUBLISH_AUDIT_ACTIONS = Object.fromEntries(
  TARGET_NAMES.flatMap((name) => [
    [`publish_to_${name}`, { label: `Published to ${targetOf(name).label}` }],
    [`publish_to_${name}_failed`, { label: `Publishing to ${targetOf(name).label} Failed` }],
  ]),
) as { readonly [A in PublishAction]: AuditActionInfo };

export const AUDIT_ACTIONS = { ...FIXED_AUDIT_ACTIONS, ...PUBLISH_AUDIT_ACTIONS };
export type AuditAction = keyof typeof AUDIT_ACTIONS;

/**
 * The desktop app's timeline event types, carried into the audit trail as they are by `tftsr import desktop`.
 * This service never writes them itself; others the app may have written are shown as they are.
 */
export const DESKTOP_EVENT_LABELS: { readonly [eventType: string]: string } = {
  triage_started: 'Triage Started',
  log_uploaded: 'Log File Uploaded',
  why_level_advanced: 'Why Level Advanced',
  root_cause_identified: 'Root Cause Identified',
  rca_generated: 'RCA Document Generated',
  postmortem_generated: 'Post-Mortem Generated',
  document_exported: 'Document Exported',
};

export function isAuditAction(action: string): action is AuditAction {
  return Object.prototype.hasOwnProperty.call(AUDIT_ACTIONS, action);
}

/** The label of a stored action, ours or the desktop app's; undefined for one neither knows. */
export function auditActionLabel(action: string): string | undefined {
  if (isAuditAction(action)) return AUDIT_ACTIONS[action].label;
  return Object.prototype.hasOwnProperty.call(DESKTOP_EVENT_LABELS, action) ? DESKTOP_EVENT_LABELS[action] : undefined;
}

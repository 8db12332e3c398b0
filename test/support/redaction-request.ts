import type { Db } from '@tftsr/db';
import { newId, OutboxRepository, RedactionRequestRepository, toDbTimestamp, transaction } from '@tftsr/db';

/** A pending redaction request and its `redact` outbox row, as RedactionsService writes them; returns the job's payload. */
export function requestRedaction(db: Db, fileId: string, spanIds: string[] | null = null) {
  return transaction(db, () => {
    const id = newId();
    new RedactionRequestRepository(db).insert({
      id,
      log_file_id: fileId,
      span_ids: spanIds === null ? null : JSON.stringify([...spanIds].sort()),
      requested_by: 'reviewer-key',
      state: 'pending',
      failure_reason: null,
      created_at: toDbTimestamp(),
      finished_at: null,
    });
    const row = new OutboxRepository(db).add('redact', (outbox_id) => ({ outbox_id, log_file_id: fileId, redaction_request_id: id }));
    return { outbox_id: row.id, log_file_id: fileId, redaction_request_id: id };
  });
}

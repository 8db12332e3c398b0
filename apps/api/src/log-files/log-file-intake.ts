import { Injectable } from '@nestjs/common';
import { IssueRepository, LogFile, LogFileProcessingRepository, LogFileRepository, OutboxRepository } from '@tftsr/db';
import { jobIdFor, JobPayloads } from '@tftsr/jobs';
import { DomainError, ErrorCode } from '../common/domain-error';

/**
 * How a new log file enters the database, whether uploaded or closed from a shipped stream: the issue is checked
 * first, then the row, its processing state and its hash and detect_pii jobs are written and the issue counts as
 * updated. The caller holds the transaction and writes its own audit entry with the job ids returned.
 */
@Injectable()
export class LogFileIntake {
  constructor(
    private readonly issues: IssueRepository,
    private readonly files: LogFileRepository,
    private readonly processing: LogFileProcessingRepository,
    private readonly outbox: OutboxRepository,
  ) {}

  assertIssueExists(issueId: string): void {
    if (!this.issues.exists(issueId)) {
      throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `issue ${issueId} does not exist`);
    }
  }

  /** Inside the caller's transaction; returns the ids of the two jobs, for the audit entry. */
  insert(file: LogFile): string[] {
    this.files.insert(file);
    this.processing.create(file.id);
    const jobs = (['hash', 'detect_pii'] as const).map((name) =>
      this.outbox.add(name, (outbox_id) => ({ outbox_id, log_file_id: file.id })),
    );
    this.issues.touch(file.issue_id, file.uploaded_at);
    return jobs.map((j) => jobIdFor(j.job_name as 'hash', JSON.parse(j.payload) as JobPayloads['hash']));
  }
}

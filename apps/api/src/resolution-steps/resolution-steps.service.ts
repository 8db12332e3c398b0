import { Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  GroupCommit,
  IssueRepository,
  newId,
  ResolutionStep,
  ResolutionStepRepository,
  toDbTimestamp,
} from '@tftsr/db';
import { DomainError, ErrorCode } from '../common/domain-error';
import { TextRedactor } from '../settings/text-redactor.service';
import {
  CreateResolutionStepBody,
  ReorderResolutionStepsBody,
  ResolutionStepListResponse,
  ResolutionStepResponse,
  toResolutionStepResponse,
  UpdateResolutionStepBody,
} from './resolution-steps.dto';

const EDITABLE = ['step_order', 'why_question', 'answer', 'evidence'] as const;

/** The 5-Whys. Free text is stored redacted; every change also counts as a change of its issue. */
@Injectable()
export class ResolutionStepsService {
  constructor(
    private readonly group: GroupCommit,
    private readonly steps: ResolutionStepRepository,
    private readonly issues: IssueRepository,
    private readonly audit: AuditLogRepository,
    private readonly redactor: TextRedactor,
  ) {}

  async create(issueId: string, body: CreateResolutionStepBody, actor: string): Promise<ResolutionStepResponse> {
    const { fields, types } = this.redactor.redactFields({
      why_question: body.why_question,
      answer: body.answer ?? null,
      evidence: body.evidence ?? null,
    });
    return this.group.run(() => {
      const now = toDbTimestamp();
      if (!this.issues.touch(issueId, now)) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
      this.assertOrderFree(issueId, body.step_order);
      const step: ResolutionStep = { id: newId(), issue_id: issueId, step_order: body.step_order, ...fields, created_at: now };
      this.steps.insert(step);
      this.audit.append({
        action: 'add_five_why',
        entity_type: 'resolution_step',
        entity_id: step.id,
        user_id: actor,
        details: { issue_id: issueId, step_order: step.step_order, pii_types_redacted: types },
      });
      return toResolutionStepResponse(step);
    });
  }

  async update(stepId: string, body: UpdateResolutionStepBody, actor: string): Promise<ResolutionStepResponse> {
    const changed = EDITABLE.filter((field) => body[field] !== undefined);
    if (changed.length === 0) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, `nothing to update: give at least one of ${EDITABLE.join(', ')}`, {
        problems: ['the body changes no field'],
      });
    }
    const { fields, types } = this.redactor.redactFields({ why_question: body.why_question, answer: body.answer, evidence: body.evidence });
    return this.group.run(() => {
      const before = this.getOrThrow(stepId);
      if (body.step_order !== undefined && body.step_order !== before.step_order) this.assertOrderFree(before.issue_id, body.step_order);
      const after: ResolutionStep = {
        ...before,
        step_order: body.step_order ?? before.step_order,
        why_question: fields.why_question ?? before.why_question,
        answer: fields.answer === undefined ? before.answer : fields.answer,
        evidence: fields.evidence === undefined ? before.evidence : fields.evidence,
      };
      this.steps.update(after);
      this.issues.touch(before.issue_id, toDbTimestamp());
      this.audit.append({
        action: 'update_five_why',
        entity_type: 'resolution_step',
        entity_id: stepId,
        user_id: actor,
        details: { issue_id: before.issue_id, fields: changed, pii_types_redacted: types },
      });
      return toResolutionStepResponse(after);
    });
  }

  async delete(stepId: string, actor: string): Promise<void> {
    await this.group.run(() => {
      const step = this.getOrThrow(stepId);
      this.steps.delete(stepId);
      this.issues.touch(step.issue_id, toDbTimestamp());
      this.audit.append({
        action: 'delete_five_why',
        entity_type: 'resolution_step',
        entity_id: stepId,
        user_id: actor,
        details: { issue_id: step.issue_id, step_order: step.step_order },
      });
    });
  }

  /** One request, one transaction: the steps take the orders 1..n in the order given. */
  async reorder(issueId: string, body: ReorderResolutionStepsBody, actor: string): Promise<ResolutionStepListResponse> {
    return this.group.run(() => {
      if (!this.issues.touch(issueId, toDbTimestamp())) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
      const current = this.steps.listForIssue(issueId).map((s) => s.id);
      const given = new Set(body.step_ids);
      const missing = current.filter((id) => !given.has(id));
      const unknown = body.step_ids.filter((id) => !current.includes(id));
      if (missing.length > 0 || unknown.length > 0) {
        throw new DomainError(ErrorCode.INVALID_STEP_ORDER, 'step_ids must list every step of the issue exactly once', {
          missing_step_ids: missing,
          unknown_step_ids: unknown,
        });
      }
      this.steps.renumber(body.step_ids);
      this.audit.append({
        action: 'reorder_five_whys',
        entity_type: 'issue',
        entity_id: issueId,
        user_id: actor,
        details: { step_ids: body.step_ids },
      });
      return { items: this.steps.listForIssue(issueId).map(toResolutionStepResponse) };
    });
  }

  private assertOrderFree(issueId: string, stepOrder: number): void {
    const holder = this.steps.findByOrder(issueId, stepOrder);
    if (holder) {
      throw new DomainError(
        ErrorCode.STEP_ORDER_TAKEN,
        `step ${stepOrder} of this issue already exists; reorder the steps or pick another`,
        {
          step_order: stepOrder,
          step_id: holder.id,
        },
      );
    }
  }

  private getOrThrow(stepId: string): ResolutionStep {
    const step = this.steps.findById(stepId);
    if (!step) throw new DomainError(ErrorCode.RESOLUTION_STEP_NOT_FOUND, `no resolution step ${stepId}`);
    return step;
  }
}

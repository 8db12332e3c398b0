import type { Publication } from '@tftsr/db';
import type { ExistingObjectPolicy } from './placement';
import { placePublication } from './placement';

let seq = 0;
function publication(overrides: Partial<Publication> = {}): Publication {
  seq += 1;
  return {
    id: `p${seq}`,
    issue_id: 'i1',
    document_id: `d${seq}`,
    service: 'servicenow',
    options: '{}',
    state: 'queued',
    remote_id: null,
    remote_url: null,
    remote_display_id: null,
    sent_sha256: null,
    redacted_by_gate: 0,
    attempts: 0,
    last_error: null,
    pii_findings: null,
    next_attempt_at: null,
    requested_by: 'k',
    created_at: seq,
    updated_at: seq,
    published_at: null,
    create_sent_at: null,
    attached_to: null,
    remote_checked_at: null,
    remote_table: null,
    ...overrides,
  };
}

const workNotes: ExistingObjectPolicy = { servicenow: 'work_notes', azuredevops: 'comment' };

describe('placePublication (one incident, one work item per issue)', () => {
  it('lets the first publication of an issue own the incident', () => {
    const sut = publication();
    expect(placePublication(sut, [sut], workNotes)).toEqual({ kind: 'own' });
  });

  it('attaches a document to the incident the critical issue opened', () => {
    const incident = publication({ document_id: null, state: 'published', remote_id: 'sys1' });
    const rca = publication();
    expect(placePublication(rca, [incident, rca], workNotes)).toMatchObject({
      kind: 'attach',
      owner: { id: incident.id },
      mode: 'work_notes',
    });
  });

  it('makes a knowledge article instead when the setting says kb_knowledge', () => {
    const incident = publication({ document_id: null, state: 'published', remote_id: 'sys1' });
    const rca = publication();
    expect(placePublication(rca, [incident, rca], { ...workNotes, servicenow: 'kb_knowledge' })).toEqual({
      kind: 'own',
      table: 'kb_knowledge',
    });
  });

  it('waits while an earlier publication of the issue is still creating the incident, instead of opening a second', () => {
    const incident = publication({ document_id: null });
    const rca = publication();
    expect(placePublication(rca, [incident, rca], workNotes)).toMatchObject({ kind: 'wait' });
    expect(placePublication(incident, [incident, rca], workNotes)).toEqual({ kind: 'own' });
  });

  it('does not wait for an earlier publication that failed without creating anything', () => {
    const failed = publication({ state: 'failed' });
    const rca = publication();
    expect(placePublication(rca, [failed, rca], workNotes)).toEqual({ kind: 'own' });
  });

  it('applies the same rule to Azure DevOps work items, with the comment mode', () => {
    const first = publication({ service: 'azuredevops', state: 'published', remote_id: '7' });
    const second = publication({ service: 'azuredevops' });
    expect(placePublication(second, [first, second], { ...workNotes, azuredevops: 'description' })).toMatchObject({
      kind: 'attach',
      owner: { id: first.id },
      mode: 'description',
    });
  });

  it('leaves Confluence pages and knowledge articles one per document', () => {
    const page1 = publication({ service: 'confluence', state: 'published', remote_id: '100' });
    const page2 = publication({ service: 'confluence' });
    expect(placePublication(page2, [page1, page2], workNotes)).toEqual({ kind: 'own' });
    const incident = publication({ document_id: null, state: 'published', remote_id: 'sys1' });
    const kb = publication({ options: JSON.stringify({ table: 'kb_knowledge' }) });
    expect(placePublication(kb, [incident, kb], workNotes)).toEqual({ kind: 'own' });
  });

  it('keeps a publication that owns its incident as the owner, even when an older one exists', () => {
    const older = publication({ document_id: null, state: 'published', remote_id: 'sys1' });
    const owner = publication({ state: 'published', remote_id: 'sys2' });
    expect(placePublication(owner, [older, owner], workNotes)).toEqual({ kind: 'own', table: 'incident' });
  });
});

import type { Publication } from '@tftsr/db';
import type { AttachMode, PublishOptions } from '@tftsr/integrations';

/** What a document does when its issue already has an incident (ServiceNow) or a work item (Azure DevOps). */
export interface ExistingObjectPolicy {
  /** `work_notes`: into the incident (work notes; close notes for an RCA). `kb_knowledge`: a knowledge article beside it. */
  servicenow: 'work_notes' | 'kb_knowledge';
  /** `comment`: a discussion comment on the work item. `description`: the description replaced too. */
  azuredevops: 'comment' | 'description';
}

export type Placement =
  /** The publication owns its remote object: find, then update or create. `table` overrides the requested one. */
  | { kind: 'own'; table?: 'incident' | 'kb_knowledge' }
  /** It writes into the object `owner` owns. */
  | { kind: 'attach'; owner: Publication; mode: AttachMode }
  /** An earlier publication of the issue is still creating the issue's object: try again later. */
  | { kind: 'wait'; reason: string };

/**
 * One incident (ServiceNow) and one work item (Azure DevOps) per issue. The first publication of the issue to
 * own one is the owner; every other publication of the issue to that service attaches to it, or for ServiceNow
 * with `kb_knowledge` becomes a knowledge article. While an earlier publication may still create the object,
 * later ones wait, so two never race to create. Confluence pages are one per document, as before.
 */
export function placePublication(
  publication: Publication,
  issuePublications: readonly Publication[],
  policy: ExistingObjectPolicy,
): Placement {
  if (!bindsToIssueObject(publication)) return { kind: 'own' };
  const siblings = issuePublications.filter(
    (p) => p.id !== publication.id && p.service === publication.service && p.attached_to === null && bindsToIssueObject(p),
  );
  if (publication.attached_to) {
    const owner = issuePublications.find((p) => p.id === publication.attached_to);
    if (owner?.remote_id) return attach(publication, owner, policy);
  }
  if (publication.remote_id) return { kind: 'own', table: ownTable(publication) };
  const owner = siblings.filter((p) => p.remote_id !== null).sort(byAge)[0];
  if (owner) {
    if (publication.service === 'servicenow' && policy.servicenow === 'kb_knowledge') return { kind: 'own', table: 'kb_knowledge' };
    return attach(publication, owner, policy);
  }
  const creating = siblings.find((p) => p.state === 'queued' && byAge(p, publication) < 0);
  if (creating)
    return {
      kind: 'wait',
      reason: `publication ${creating.id} of the same issue is still creating its ${publication.service === 'servicenow' ? 'incident' : 'work item'}`,
    };
  return { kind: 'own' };
}

function attach(publication: Publication, owner: Publication, policy: ExistingObjectPolicy): Placement {
  return { kind: 'attach', owner, mode: publication.service === 'servicenow' ? 'work_notes' : policy.azuredevops };
}

/** Publications that are, or would create, the issue's incident or work item. */
function bindsToIssueObject(p: Publication): boolean {
  if (p.service === 'azuredevops') return true;
  if (p.service !== 'servicenow') return false;
  return p.document_id === null || ownTable(p) === 'incident';
}

function ownTable(p: Publication): 'incident' | 'kb_knowledge' {
  const requested = (JSON.parse(p.options) as PublishOptions).table;
  return (p.remote_table ?? requested ?? 'incident') === 'kb_knowledge' ? 'kb_knowledge' : 'incident';
}

function byAge(a: Publication, b: Publication): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

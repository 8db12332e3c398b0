import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBanner, Section, useAction } from '../components/common';
import { useCan } from '../me';
import type { ResolutionStep } from '../types';

/** The 5-Whys: add, edit, delete and reorder steps; the API redacts PII it finds in them. */
export function WhysEditor({ issueId, steps, onChanged }: { issueId: string; steps: ResolutionStep[]; onChanged: () => void }) {
  const can = useCan();
  const action = useAction();
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState('');
  const nextOrder = steps.reduce((m, s) => Math.max(m, s.step_order), 0) + 1;

  const add = async (event: Event) => {
    event.preventDefault();
    const ok = await action.run(() =>
      api('POST', `/v1/issues/${issueId}/resolution-steps`, { step_order: nextOrder, why_question: question, answer: answer || null }),
    );
    if (ok !== undefined) {
      setQuestion('');
      setAnswer('');
      onChanged();
    }
  };
  const move = (index: number, delta: number) =>
    action.run(async () => {
      const ids = steps.map((s) => s.id);
      const [moved] = ids.splice(index, 1);
      ids.splice(index + delta, 0, moved);
      await api('PUT', `/v1/issues/${issueId}/resolution-steps/order`, { step_ids: ids });
      onChanged();
    });

  return (
    <Section title="5 Whys">
      <ol class="whys">
        {steps.map((step, i) => (
          <li key={step.id}>
            <WhyStep step={step} onChanged={onChanged} editable={can('write')} />
            {can('write') && (
              <div class="row-actions">
                <button
                  type="button"
                  class="secondary"
                  disabled={i === 0 || action.busy}
                  onClick={() => void move(i, -1)}
                  aria-label={`Move why ${i + 1} up`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="secondary"
                  disabled={i === steps.length - 1 || action.busy}
                  onClick={() => void move(i, 1)}
                  aria-label={`Move why ${i + 1} down`}
                >
                  ↓
                </button>
              </div>
            )}
          </li>
        ))}
      </ol>
      {steps.length === 0 && <p class="muted">No why yet.</p>}
      {can('write') && (
        <form class="form-grid" onSubmit={(e) => void add(e)} aria-label="Add a why">
          <label for="why-question">Why #{nextOrder}</label>
          <input id="why-question" required value={question} onInput={(e) => setQuestion((e.target as HTMLInputElement).value)} />
          <label for="why-answer">Answer</label>
          <textarea id="why-answer" rows={2} value={answer} onInput={(e) => setAnswer((e.target as HTMLTextAreaElement).value)} />
          <div class="form-actions">
            <button type="submit" disabled={action.busy || !question.trim()}>
              Add why
            </button>
          </div>
        </form>
      )}
      <ErrorBanner error={action.error} />
    </Section>
  );
}

function WhyStep({ step, onChanged, editable }: { step: ResolutionStep; onChanged: () => void; editable: boolean }) {
  const [editing, setEditing] = useState(false);
  const [question, setQuestion] = useState(step.why_question);
  const [answer, setAnswer] = useState(step.answer ?? '');
  const [evidence, setEvidence] = useState(step.evidence ?? '');
  const action = useAction();
  if (!editing) {
    return (
      <div class="why">
        <p>
          <strong>Why #{step.step_order}:</strong> {step.why_question}
        </p>
        {step.answer && <p class="answer">{step.answer}</p>}
        {step.evidence && <p class="muted">Evidence: {step.evidence}</p>}
        {editable && (
          <div class="row-actions">
            <button type="button" class="secondary" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button
              type="button"
              class="danger"
              onClick={() =>
                void action.run(async () => {
                  await api('DELETE', `/v1/resolution-steps/${step.id}`);
                  onChanged();
                })
              }
            >
              Delete
            </button>
          </div>
        )}
        <ErrorBanner error={action.error} />
      </div>
    );
  }
  const idp = `why-${step.id}`;
  return (
    <form
      class="form-grid"
      onSubmit={(e) =>
        void (async () => {
          e.preventDefault();
          const ok = await action.run(() =>
            api('PATCH', `/v1/resolution-steps/${step.id}`, { why_question: question, answer: answer || null, evidence: evidence || null }),
          );
          if (ok !== undefined) {
            setEditing(false);
            onChanged();
          }
        })()
      }
    >
      <label for={`${idp}-q`}>Question</label>
      <input id={`${idp}-q`} value={question} required onInput={(e) => setQuestion((e.target as HTMLInputElement).value)} />
      <label for={`${idp}-a`}>Answer</label>
      <textarea id={`${idp}-a`} rows={2} value={answer} onInput={(e) => setAnswer((e.target as HTMLTextAreaElement).value)} />
      <label for={`${idp}-e`}>Evidence</label>
      <input id={`${idp}-e`} value={evidence} onInput={(e) => setEvidence((e.target as HTMLInputElement).value)} />
      <div class="form-actions">
        <button type="submit" disabled={action.busy}>
          Save
        </button>
        <button type="button" class="secondary" onClick={() => setEditing(false)}>
          Cancel
        </button>
      </div>
      <ErrorBanner error={action.error} />
    </form>
  );
}

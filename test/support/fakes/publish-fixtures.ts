import { randomUUID } from 'node:crypto';
import { IntegrationHttp } from '@tftsr/integrations';
import type { PublishContent, Publisher, PublishTarget, RemoteObject } from '@tftsr/integrations/publishers/types';
import { PublishError } from '@tftsr/integrations/publishers/types';
import type { IntegrationService } from '@tftsr/integrations';

/** A publication's content; a fresh publication id each call. */
export function publishContent(overrides: Partial<PublishContent> = {}): PublishContent {
  return {
    publicationId: randomUUID(),
    title: 'RCA: checkout latency after the cache rollout',
    markdown: '# RCA\n\nThe cache evicted hot keys.',
    text: 'RCA\n\nThe cache evicted hot keys.',
    docType: 'rca',
    html: '<h1>RCA</h1><p>The cache evicted hot keys.</p>',
    severity: 'high',
    ...overrides,
  };
}

/** A target pointing at a fake; the fields a service does not use are null. */
export function publishTarget(service: IntegrationService, baseUrl: string, overrides: Partial<PublishTarget> = {}): PublishTarget {
  return {
    service,
    baseUrl: new URL(baseUrl),
    username: null,
    projectName: service === 'azuredevops' ? 'Fabrikam Fiber' : null,
    spaceKey: service === 'confluence' ? 'ENG' : null,
    options: {},
    ...overrides,
  };
}

/** IntegrationHttp with the loopback allowance the fakes need (production never sets one). */
export function loopbackHttp(): IntegrationHttp {
  return new IntegrationHttp({ allowedAddresses: ['127.0.0.1/32'] });
}

/**
 * What the publish processor does on each attempt (find, then update or create), retried at once on retryable
 * errors: lets unit tests show that a lost answer still ends with one remote object.
 */
export async function publishWithRetries(
  sut: Publisher,
  target: PublishTarget,
  content: PublishContent,
  knownId: string | null = null,
  attempts = 3,
): Promise<RemoteObject> {
  let last: unknown;
  for (let i = 0; i < attempts; i += 1) {
    try {
      const found = await sut.find(target, content, knownId);
      return found ? await sut.update(target, content, found) : await sut.create(target, content);
    } catch (err) {
      if (!(err instanceof PublishError) || !err.retryable) throw err;
      last = err;
    }
  }
  throw last;
}

/** The rejection of a promise that must fail with a PublishError. */
export async function publishFailure(promise: Promise<unknown>): Promise<PublishError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof PublishError)) throw new Error(`expected a PublishError, got ${String(err)}`);
  return err;
}

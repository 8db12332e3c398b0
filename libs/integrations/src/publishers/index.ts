import type { IntegrationHttp } from '../integration-http';
import type { IntegrationService } from '../targets/registry';
import { targetOf } from '../targets/registry';
import type { PublisherHttpOptions } from './http';
import type { PublishAuth, Publisher } from './types';

export * from './types';
export { AzureDevOpsPublisher } from './azure-devops';
export { ConfluencePublisher } from './confluence';
export { ServiceNowPublisher } from './servicenow';
export { DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES, parseRetryAfter, type PublisherHttpOptions } from './http';
export { hasMarker, markerFooter } from './marker';

/** The publisher of one service, holding the decrypted secret only for as long as the caller keeps it. */
export function createPublisher(
  service: IntegrationService,
  http: IntegrationHttp,
  auth: PublishAuth,
  options: PublisherHttpOptions = {},
): Publisher {
  return targetOf(service).publisher(http, auth, options);
}

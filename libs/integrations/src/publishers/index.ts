import type { IntegrationHttp } from '../integration-http';
import type { IntegrationService } from '../url-policy';
import { AzureDevOpsPublisher } from './azure-devops';
import { ConfluencePublisher } from './confluence';
import type { PublisherHttpOptions } from './http';
import { ServiceNowPublisher } from './servicenow';
import type { PublishAuth, Publisher } from './types';

export * from './types';
export { AzureDevOpsPublisher } from './azure-devops';
export { ConfluencePublisher } from './confluence';
export { ServiceNowPublisher } from './servicenow';
export { DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES, parseRetryAfter, type PublisherHttpOptions } from './http';
export { hasMarker, markerFooter } from './marker';

/** The publisher of one service, holding the decrypted secret only for as long as the caller keeps it. */
export function createPublisher(service: IntegrationService, http: IntegrationHttp, auth: PublishAuth, options: PublisherHttpOptions = {}): Publisher {
  switch (service) {
    case 'confluence':
      return new ConfluencePublisher(http, auth, options);
    case 'servicenow':
      return new ServiceNowPublisher(http, auth, options);
    case 'azuredevops':
      return new AzureDevOpsPublisher(http, auth, options);
  }
}

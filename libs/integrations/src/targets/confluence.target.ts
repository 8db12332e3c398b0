import { ConfluencePublisher } from '../publishers/confluence';
import type { TargetDefinition } from './target';

export const confluenceTarget = {
  name: 'confluence',
  label: 'Confluence',
  hosts: ['*.atlassian.net', 'api.atlassian.com'],
  exampleUrl: 'https://acme.atlassian.net',
  config: {
    space_key: { required: true, description: 'the space key' },
    username: { required: false, description: 'the account e-mail for an API token (leave empty for an OAuth bearer)' },
  },
  credential: { kind: 'api_token_or_bearer', description: 'a Confluence API token or OAuth bearer' },
  publisher: (http, auth, options) => new ConfluencePublisher(http, auth, options),
} as const satisfies TargetDefinition;

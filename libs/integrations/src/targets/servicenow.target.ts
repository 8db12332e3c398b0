import { ServiceNowPublisher } from '../publishers/servicenow';
import type { TargetDefinition } from './target';

export const servicenowTarget = {
  name: 'servicenow',
  label: 'ServiceNow',
  hosts: ['*.service-now.com'],
  exampleUrl: 'https://acme.service-now.com',
  config: { username: { required: true, description: 'the user' } },
  credential: { kind: 'password', description: 'a ServiceNow password' },
  publisher: (http, auth, options) => new ServiceNowPublisher(http, auth, options),
} as const satisfies TargetDefinition;

import { AzureDevOpsPublisher } from '../publishers/azure-devops';
import type { TargetDefinition } from './target';

export const azureDevOpsTarget = {
  name: 'azuredevops',
  label: 'Azure DevOps',
  hosts: ['dev.azure.com', '*.visualstudio.com'],
  exampleUrl: 'https://dev.azure.com/acme',
  config: { project_name: { required: true, description: 'the project' } },
  credential: { kind: 'personal_access_token', description: 'an Azure DevOps PAT' },
  publisher: (http, auth, options) => new AzureDevOpsPublisher(http, auth, options),
} as const satisfies TargetDefinition;

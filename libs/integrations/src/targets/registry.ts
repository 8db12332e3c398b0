import { azureDevOpsTarget } from './azure-devops.target';
import { confluenceTarget } from './confluence.target';
import { servicenowTarget } from './servicenow.target';
import type { ConfigField, TargetDefinition } from './target';

/**
 * Every publishing target, once. The service names (API enum, settings, database type), the default hosts of the
 * URL policy, the required config fields, the publisher factory and the audit labels all derive from it. Adding
 * a target is its definition file, its publisher, one line here and a migration for the `publications` CHECK.
 */
export const TARGETS = {
  confluence: confluenceTarget,
  servicenow: servicenowTarget,
  azuredevops: azureDevOpsTarget,
} as const satisfies { readonly [name: string]: TargetDefinition };

export type IntegrationService = keyof typeof TARGETS;

export const TARGET_NAMES = Object.keys(TARGETS) as IntegrationService[];

export function isTargetName(name: string): name is IntegrationService {
  return Object.prototype.hasOwnProperty.call(TARGETS, name);
}

export function targetOf(name: IntegrationService): TargetDefinition {
  return TARGETS[name];
}

/** The config fields a target cannot work without. */
export function requiredConfigFields(name: IntegrationService): ConfigField[] {
  const config = targetOf(name).config;
  return (Object.keys(config) as ConfigField[]).filter((field) => config[field]?.required);
}

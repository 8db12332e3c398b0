import type { IntegrationHttp } from '../integration-http';
import type { PublisherHttpOptions } from '../publishers/http';
import type { PublishAuth, Publisher } from '../publishers/types';

/** The optional columns of integration_config a target uses, and whether it cannot work without them. */
export type ConfigField = 'username' | 'project_name' | 'space_key';

/**
 * One publishing target: everything the API, the worker, the URL policy, the settings and the audit timeline
 * need to know about it. The lists they used to spell out are derived from the registry of these.
 */
export interface TargetDefinition {
  /** The service name in URLs, settings, the database and the audit (`publish_to_<name>`). */
  name: string;
  /** Human name: messages and the audit timeline (`Published to <label>`). */
  label: string;
  /** Where its cloud lives; an admin may add on-premise hosts (integrations.allowed_hosts). */
  hosts: readonly string[];
  /** Example base URL, for the API description. */
  exampleUrl: string;
  /** The config fields it reads, each with what it means; `required` ones are refused when missing. */
  config: { readonly [F in ConfigField]?: { required: boolean; description: string } };
  /** What its secret is (the credential kind), for the API description. */
  credential: { kind: 'api_token_or_bearer' | 'password' | 'personal_access_token'; description: string };
  publisher(http: IntegrationHttp, auth: PublishAuth, options: PublisherHttpOptions): Publisher;
}

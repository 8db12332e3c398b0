import type { IntegrationService } from '@tftsr/integrations';
import { TARGET_NAMES } from '@tftsr/integrations';
import type { CustomRule, PiiType } from '@tftsr/pii';
import {
  CUSTOM_RULE_LIMITS,
  CustomRuleError,
  enabledTypesFromStored,
  PII_SETTING_DEFAULTS,
  PII_TYPE_ORDER,
  parseCustomRules,
  toStoredEnabledTypes,
} from '@tftsr/pii';

/** A value that does not fit its key; the message says why, and becomes the 400's message. */
export class InvalidSettingValue extends Error {}

export interface SettingDefinition<T> {
  description: string;
  default: T;
  /** JSON Schema of the value, for the OpenAPI description. */
  schema: Record<string, unknown>;
  /** Checks and normalises a value (from a request or from the table). */
  parse(value: unknown): T;
  /** For a key stored in another form than the API's: the value from the stored JSON (else `parse`)... */
  fromStored?(stored: unknown): T;
  /** ...and the stored JSON of a parsed value (else the value itself). */
  toStored?(value: T): unknown;
}

export interface SettingValues {
  'pii.enabled_types': PiiType[];
  'pii.allow_list': string[];
  'ai.provider': string;
  'ai.provider_url': string;
  'ai.model': string;
  'publishing.default_target': PublishingTarget;
  'publishing.default_doc_type': DocType;
  'uploads.max_file_bytes': number;
  'uploads.max_files_per_issue': number;
  'integrations.allowed_hosts': string[];
  'publishing.pii_gate': PiiGateMode;
  'publishing.servicenow.existing_incident': (typeof EXISTING_INCIDENT_MODES)[number];
  'publishing.servicenow.kb_knowledge_base': string;
  'publishing.azuredevops.existing_work_item': (typeof EXISTING_WORK_ITEM_MODES)[number];
  'pii.decision_scope': DecisionScope;
  'pii.replacement_style': ReplacementStyle;
  'pii.finalize_after_days': number;
  'pii.wipe_original_blob': boolean;
  'pii.custom_rules': Required<CustomRule>[];
  'ingest.chunk_max_bytes': number;
  'ingest.chunk_idle_seconds': number;
  'ingest.max_backlog_bytes': number;
}
export const DECISION_SCOPES = ['file', 'issue'] as const;
export type DecisionScope = (typeof DECISION_SCOPES)[number];
export const REPLACEMENT_STYLES = ['type', 'pseudonym'] as const;
export type ReplacementStyle = (typeof REPLACEMENT_STYLES)[number];

export type SettingKey = keyof SettingValues;
const PUBLISHING_TARGETS: readonly PublishingTarget[] = ['none', ...TARGET_NAMES];
type PublishingTarget = 'none' | IntegrationService;
const DOC_TYPES = ['rca', 'postmortem'] as const;
export const PII_GATE_MODES = ['block', 'redact'] as const;
export type PiiGateMode = (typeof PII_GATE_MODES)[number];
// A host name: labels of letters, digits and hyphens. No wildcard, no IP literal (those never pass the URL check).
const HOST_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.[a-z]{2,63}$/;
type DocType = (typeof DOC_TYPES)[number];
const EXISTING_INCIDENT_MODES = ['work_notes', 'kb_knowledge'] as const;
const EXISTING_WORK_ITEM_MODES = ['comment', 'description'] as const;

function fail(message: string): never {
  throw new InvalidSettingValue(message);
}

function stringList(value: unknown, max: number, maxLength: number): string[] {
  if (!Array.isArray(value)) fail('must be an array of strings');
  if (value.length > max) fail(`must hold at most ${max} entries`);
  for (const item of value) {
    if (typeof item !== 'string' || item.length === 0 || item.length > maxLength)
      fail(`each entry must be a string of 1 to ${maxLength} characters`);
  }
  return [...new Set(value as string[])];
}

function text(value: unknown, maxLength: number, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) fail(`must be a string of 1 to ${maxLength} characters`);
  if (pattern && !pattern.test(value)) fail(`must match ${pattern}`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(`must be one of ${allowed.join(', ')}`);
  return value as T;
}

function integer(value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`must be an integer from ${min} to ${max}`);
  return value;
}

function httpUrl(value: unknown): string {
  const raw = text(value, 2000);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('must be an http or https URL');
  // The provider's key comes from TFTSR_AI_API_KEY; a URL with credentials would put a secret in settings.
  if (url.username || url.password) fail('must not contain credentials; set TFTSR_AI_API_KEY instead');
  if (url.search || url.hash) fail('must not have a query or fragment');
  return raw.replace(/\/+$/, '');
}

const GIB = 1024 * 1024 * 1024;

/** Every key the service knows, with its validation and default. Keys not listed here do not exist. */
export const SETTINGS: { readonly [K in SettingKey]: SettingDefinition<SettingValues[K]> } = {
  'pii.enabled_types': {
    description: 'PII types detected and redacted in stored 5-Whys and AI messages.',
    default: [...PII_SETTING_DEFAULTS['pii.enabled_types']],
    schema: { type: 'array', items: { type: 'string', enum: [...PII_TYPE_ORDER] }, uniqueItems: true },
    parse: (value) => {
      const list = stringList(value, PII_TYPE_ORDER.length, 32);
      const unknown = list.filter((t) => !(PII_TYPE_ORDER as readonly string[]).includes(t));
      if (unknown.length) fail(`unknown PII type(s) ${unknown.join(', ')}; known: ${PII_TYPE_ORDER.join(', ')}`);
      return PII_TYPE_ORDER.filter((t) => list.includes(t));
    },
    // Stored as the types turned off, so a type added by a later release is on (libs/pii/src/enabled-types.ts).
    fromStored: (stored) => enabledTypesFromStored(stored) ?? fail('must be {"disabled": [...]} or a list of types'),
    toStored: toStoredEnabledTypes,
  },
  'pii.allow_list': {
    description: 'Values never redacted (compared case-insensitively), e.g. a public support address.',
    default: [...PII_SETTING_DEFAULTS['pii.allow_list']],
    schema: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 1000 },
    parse: (value) => stringList(value, 1000, 256),
  },
  'ai.provider': {
    description: 'Default provider label of new AI conversations.',
    default: 'ollama',
    schema: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' },
    parse: (value) => text(value, 64, /^[a-z0-9][a-z0-9._-]{0,63}$/),
  },
  'ai.provider_url': {
    description: 'Base URL of the OpenAI-compatible API; completions go to {url}/chat/completions. Its key is TFTSR_AI_API_KEY.',
    default: 'http://localhost:11434/v1',
    schema: { type: 'string', format: 'uri' },
    parse: httpUrl,
  },
  'ai.model': {
    description: 'Default model of new AI conversations.',
    default: 'llama3.2:3b',
    schema: { type: 'string', minLength: 1, maxLength: 200 },
    parse: (value) => text(value, 200),
  },
  'publishing.default_target': {
    description: 'Where generated documents are published unless a request says otherwise.',
    default: 'none',
    schema: { type: 'string', enum: [...PUBLISHING_TARGETS] },
    parse: (value) => oneOf(value, PUBLISHING_TARGETS),
  },
  'publishing.default_doc_type': {
    description: 'Document generated unless a request says otherwise.',
    default: 'rca',
    schema: { type: 'string', enum: [...DOC_TYPES] },
    parse: (value) => oneOf(value, DOC_TYPES),
  },
  'uploads.max_file_bytes': {
    description: 'Largest accepted log file, in bytes, after decompressing a .gz (the desktop app allowed 50 MiB).',
    default: GIB,
    schema: { type: 'integer', minimum: 1, maximum: 64 * GIB },
    parse: (value) => integer(value, 1, 64 * GIB),
  },
  'uploads.max_files_per_issue': {
    description: 'Most log files and images one issue may hold.',
    default: 100,
    schema: { type: 'integer', minimum: 1, maximum: 10000 },
    parse: (value) => integer(value, 1, 10000),
  },
  'integrations.allowed_hosts': {
    description:
      'On-premise Confluence, ServiceNow or Azure DevOps Server hosts that integration base URLs may use, on top of the cloud defaults (*.atlassian.net, api.atlassian.com, *.service-now.com, dev.azure.com, *.visualstudio.com). Exact host names; their addresses are still checked when connecting.',
    default: [],
    schema: { type: 'array', items: { type: 'string', pattern: HOST_NAME.source }, maxItems: 100 },
    parse: (value) => {
      const hosts = stringList(value, 100, 253).map((h) => h.toLowerCase());
      const bad = hosts.filter((h) => !HOST_NAME.test(h));
      if (bad.length) fail(`not a host name (no wildcards, IP addresses, ports or schemes): ${bad.join(', ')}`);
      return hosts;
    },
  },
  'publishing.pii_gate': {
    description:
      'What a publish does when the PII gate finds PII in the document: `block` fails the publish and lists the findings (masked); `redact` sends the redacted text instead, and the audit says so.',
    default: 'block',
    schema: { type: 'string', enum: [...PII_GATE_MODES] },
    parse: (value) => oneOf(value, PII_GATE_MODES),
  },
  'publishing.servicenow.existing_incident': {
    description:
      'One incident per issue. Where a document published to ServiceNow goes when its issue already has an incident: `work_notes` adds it to that incident (work notes; an RCA also fills the close notes); `kb_knowledge` makes it a knowledge article in publishing.servicenow.kb_knowledge_base.',
    default: 'work_notes',
    schema: { type: 'string', enum: [...EXISTING_INCIDENT_MODES] },
    parse: (value) => oneOf(value, EXISTING_INCIDENT_MODES),
  },
  'publishing.servicenow.kb_knowledge_base': {
    description:
      'The sys_id of the knowledge base for publishing.servicenow.existing_incident = kb_knowledge (a request may name its own); empty: none.',
    default: '',
    schema: { type: 'string', pattern: '^([0-9a-f]{32})?$' },
    parse: (value) => (value === '' ? '' : text(value, 32, /^[0-9a-f]{32}$/)),
  },
  'publishing.azuredevops.existing_work_item': {
    description:
      'One work item per issue. What a document published to Azure DevOps does when its issue already has a work item: `comment` adds it to the discussion; `description` also replaces the description with it.',
    default: 'comment',
    schema: { type: 'string', enum: [...EXISTING_WORK_ITEM_MODES] },
    parse: (value) => oneOf(value, EXISTING_WORK_ITEM_MODES),
  },
  'pii.decision_scope': {
    description:
      'Where a decision on a value (keep or redact) applies: `file`, only in the file it was made in; `issue`, in every log file of the issue. A span’s own decision still wins.',
    default: 'file',
    schema: { type: 'string', enum: [...DECISION_SCOPES] },
    parse: (value) => oneOf(value, DECISION_SCOPES),
  },
  'pii.replacement_style': {
    description:
      'What replaces a redacted value: `type` (`[IPv4]`) or `pseudonym` (`[IPv4-3]`: the same value gets the same number everywhere in the issue, from a keyed HMAC, so lines still correlate). Applies from the next redaction.',
    default: PII_SETTING_DEFAULTS['pii.replacement_style'],
    schema: { type: 'string', enum: [...REPLACEMENT_STYLES] },
    parse: (value) => oneOf(value, REPLACEMENT_STYLES),
  },
  'pii.finalize_after_days': {
    description:
      'Log files are finalized (redacted with the decisions in force, then original values wiped) this many days after upload; 0 never does it automatically.',
    default: PII_SETTING_DEFAULTS['pii.finalize_after_days'],
    schema: { type: 'integer', minimum: 0, maximum: 3650 },
    parse: (value) => integer(value, 0, 3650),
  },
  'pii.wipe_original_blob': {
    description: 'Finalizing also deletes the stored original file, not only the original values of its spans.',
    default: PII_SETTING_DEFAULTS['pii.wipe_original_blob'],
    schema: { type: 'boolean' },
    parse: (value) => (typeof value === 'boolean' ? value : fail('must be true or false')),
  },
  'pii.custom_rules': {
    description:
      'Your own detection rules, run with the built-in types wherever text is scanned (uploads, stored text, every exit): `{name, pattern, replacement}`, the pattern in RE2 syntax (linear time: no back-references or look-around), matched within one line; spans are typed `Custom` and replaced with `replacement` (default `[name]`).',
    default: [...PII_SETTING_DEFAULTS['pii.custom_rules']],
    schema: {
      type: 'array',
      maxItems: CUSTOM_RULE_LIMITS.rules,
      items: {
        type: 'object',
        required: ['name', 'pattern'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$', maxLength: CUSTOM_RULE_LIMITS.nameLength },
          pattern: { type: 'string', minLength: 1, maxLength: CUSTOM_RULE_LIMITS.patternLength },
          replacement: { type: 'string', maxLength: CUSTOM_RULE_LIMITS.replacementLength },
        },
      },
    },
    parse: (value) => {
      try {
        return parseCustomRules(value);
      } catch (err) {
        if (err instanceof CustomRuleError) fail(err.message);
        throw err;
      }
    },
  },
  'ingest.chunk_max_bytes': {
    description: "A shipped stream's rolling chunk closes (and becomes a log file, scanned like an upload) once it holds this many bytes.",
    default: 8 * 1024 * 1024,
    schema: { type: 'integer', minimum: 1024, maximum: GIB },
    parse: (value) => integer(value, 1024, GIB),
  },
  'ingest.chunk_idle_seconds': {
    description: "A shipped stream's rolling chunk closes after this many seconds without a new line.",
    default: 30,
    schema: { type: 'integer', minimum: 1, maximum: 86400 },
    parse: (value) => integer(value, 1, 86400),
  },
  'ingest.max_backlog_bytes': {
    description:
      'Shipper endpoints answer 429 with Retry-After while more than this many bytes wait to be scanned (open chunks and unscanned log files).',
    default: GIB,
    schema: { type: 'integer', minimum: 1, maximum: 64 * GIB },
    parse: (value) => integer(value, 1, 64 * GIB),
  },
};

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

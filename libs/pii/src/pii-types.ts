import type { CustomRule } from './custom-rules';

/**
 * PII types in tie-break order. The desktop app's 12 types keep their names, replacements and relative order;
 * new types sit where a merged span should take their name:
 * - PrivateKey first: a PEM block is the largest unit, and base64 lines inside it can look like other things.
 * - JWT and the vendor tokens after Bearer (so "Bearer eyJ…" stays Bearer, as the desktop app reports it) and
 *   before ApiKey/Password (so "token=eyJ…" or "api_key=AKIA…" is reported as the specific token).
 * - IBAN before CreditCard: the digit groups of an IBAN can pass Luhn, and the whole account number wins.
 * - DateOfBirth (a date next to a birth keyword) with the other identity numbers, after SSN.
 * - Custom last: a user's rule (PiiConfig.customRules) names a span only where no built-in type covers it.
 */
export const PII_TYPE_ORDER = [
  'PrivateKey',
  'URL',
  'Bearer',
  'JWT',
  'AwsAccessKey',
  'GitHubToken',
  'SlackToken',
  'ApiKey',
  'Password',
  'SSN',
  'DateOfBirth',
  'IBAN',
  'CreditCard',
  'Email',
  'MAC',
  'IPv6',
  'IPv4',
  'Phone',
  'Hostname',
  'Custom',
] as const;

export type PiiType = (typeof PII_TYPE_ORDER)[number];

export interface PiiTypeInfo {
  readonly pii_type: PiiType;
  readonly replacement: string;
}

/** The replacement is always the type name in square brackets, as in the desktop app. */
export const PII_TYPES: readonly PiiTypeInfo[] = PII_TYPE_ORDER.map((t) => ({ pii_type: t, replacement: `[${t}]` }));

export function replacementFor(type: PiiType): string {
  return `[${type}]`;
}

export function isPiiType(value: string): value is PiiType {
  return (PII_TYPE_ORDER as readonly string[]).includes(value);
}

/** One detected (and merged) span. Offsets are UTF-8 byte offsets into the original bytes, end exclusive. */
export interface PiiSpan {
  pii_type: PiiType;
  start: number;
  end: number;
  replacement: string;
  /** The original bytes of the span; callers that persist or show spans decide what to do with them. */
  original: Buffer;
  /** For a Custom span: the name of the rule that found it. */
  rule?: string;
}

export interface PiiConfig {
  /** Types to detect; all types when omitted. */
  enabledTypes?: PiiType[];
  /** Values never to flag, compared with the detected value, ASCII case-insensitively. */
  allowList?: string[];
  /**
   * The user's own rules (setting pii.custom_rules), run on a linear-time engine; their spans are typed Custom
   * and replaced with the rule's replacement. They run whenever given, whatever enabledTypes says.
   */
  customRules?: CustomRule[];
}

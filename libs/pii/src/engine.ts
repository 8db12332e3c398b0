import { type Detector, type Hit, TYPE_INDEX } from './detectors/detector';
import { addressDetector } from './detectors/address-detector';
import { atSignDetector } from './detectors/at-sign-detector';
import { birthDateDetector } from './detectors/birth-date-detector';
import { cliPasswordDetector } from './detectors/cli-password-detector';
import { keyValueDetector } from './detectors/key-value-detector';
import { digitDetector, phoneDetector } from './detectors/number-detectors';
import {
  awsAccessKeyDetector,
  jwtDetector,
  privateKeyDetector,
  slackTokenDetector,
  slackWebhookDetector,
  underscoreTokenDetector,
  vendorApiKeyDetector,
} from './detectors/secret-detectors';
import { CUSTOM_MAX_SPAN, type CustomRule, CustomRuleError, customRuleDetector, parseCustomRules } from './custom-rules';
import { PII_TYPE_ORDER, type PiiConfig, isPiiType } from './pii-types';

/** Every pass the engine runs. Order here does not matter: merging orders by position and type. */
export const DETECTORS: readonly Detector[] = [
  privateKeyDetector,
  keyValueDetector,
  jwtDetector,
  awsAccessKeyDetector,
  underscoreTokenDetector,
  slackTokenDetector,
  slackWebhookDetector,
  vendorApiKeyDetector,
  digitDetector,
  atSignDetector,
  addressDetector,
  phoneDetector,
  cliPasswordDetector,
  birthDateDetector,
];

/** A custom rule's match is cut at a window's look-ahead; the look-ahead is far longer than a token. */
const _customFits: true = CUSTOM_MAX_SPAN < 16 * 1024 ? true : (undefined as never);

/** Bytes kept before the resume point, for back-scans and look-behind. */
export const CONTEXT_BYTES = Math.max(...DETECTORS.map((d) => d.maxBack)) + 64;
/** Bytes re-read after each window so a candidate near its end is seen whole (PEM blocks dominate: 16 KiB). */
export const OVERLAP_BYTES = Math.max(...DETECTORS.map((d) => d.maxSpan)) + 64;
/** A hit found later never starts before (resume point − this). */
export const MAX_BACK_BYTES = Math.max(...DETECTORS.map((d) => d.maxBack));

export class PiiConfigError extends Error {}

/** Config compiled once per scan: the passes to run, the types to keep, and the allow-list in latin1 form. */
export class PiiEngine {
  readonly detectors: readonly Detector[];
  /** The custom rules in force, replacements filled in; a Custom hit's `rule` indexes this. */
  readonly customRules: readonly Required<CustomRule>[];
  private readonly enabled: boolean[];
  private readonly allow: Set<string> | null;

  constructor(config: PiiConfig = {}) {
    const types = config.enabledTypes ?? [...PII_TYPE_ORDER];
    const unknown = types.filter((t) => !isPiiType(t));
    if (unknown.length > 0) {
      throw new PiiConfigError(`unknown PII type(s): ${unknown.join(', ')}; known: ${PII_TYPE_ORDER.join(', ')}`);
    }
    try {
      this.customRules = parseCustomRules(config.customRules ?? []);
    } catch (err) {
      if (err instanceof CustomRuleError) throw new PiiConfigError(`custom rules: ${err.message}`);
      throw err;
    }
    // A custom rule is enabled by being defined: a list of types saved before the rule existed must not hide it.
    this.enabled = PII_TYPE_ORDER.map((t) => types.includes(t) || t === 'Custom');
    this.detectors = [
      ...DETECTORS.filter((d) => d.types.some((t) => this.enabled[TYPE_INDEX[t]])),
      ...this.customRules.map((rule, i) => customRuleDetector(rule, i)),
    ];
    const allow = (config.allowList ?? []).map((v) => asciiLower(Buffer.from(v, 'utf8').toString('latin1')));
    this.allow = allow.length > 0 ? new Set(allow) : null;
  }

  /**
   * Runs every pass over `text`, pass i from `from[i]` up to `limit`, and writes where each stopped back into
   * `from`. Appends kept hits to `out` with start and end shifted by `base` (the value range is spent by then).
   */
  scanWindow(text: string, from: number[], limit: number, base: number, out: Hit[]): void {
    const found: Hit[] = [];
    for (let i = 0; i < this.detectors.length; i++) {
      if (from[i] >= limit) continue;
      from[i] = Math.max(this.detectors[i].scan(text, from[i], limit, found), limit);
    }
    // An allowed value is left whole: `ops@example.com` on the list must not come out as `ops@[Hostname]`.
    const allowedRanges: Hit[] = [];
    const kept: Hit[] = [];
    for (const h of found) {
      if (!this.enabled[h.type]) continue;
      (this.allowed(text, h) ? allowedRanges : kept).push(h);
    }
    for (const h of kept) {
      if (allowedRanges.some((a) => a.start <= h.start && h.end <= a.end)) continue;
      h.start += base;
      h.end += base;
      out.push(h);
    }
  }

  private allowed(text: string, h: Hit): boolean {
    if (this.allow === null) return false;
    return this.allow.has(asciiLower(text.slice(h.valueStart, h.valueEnd))) || this.allow.has(asciiLower(text.slice(h.start, h.end)));
  }
}

// Only ASCII letters fold: the strings hold raw bytes, and folding Latin-1 letters would alias UTF-8 sequences.
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

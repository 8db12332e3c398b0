import { PII_TYPE_ORDER, type PiiType } from '../pii-types';
import { type LineContext, TEMPLATES } from './log-templates';
import { hardNegative } from './negatives';
import { Prng } from './prng';
import { type SampledType, sample } from './samples';
import { type Segment, plain } from './segments';

export interface LabelledValue {
  pii_type: PiiType;
  /** Byte offsets of the injected value, end exclusive. */
  start: number;
  end: number;
}

export interface Corpus {
  bytes: Buffer;
  labels: LabelledValue[];
}

export interface CorpusOptions {
  seed?: number;
  /** Stop after the first line that reaches this size. Default 2 MiB. */
  targetBytes?: number;
  /** Types injected (PrivateKey aside, which is always 2%); default every type. An older list regenerates an older corpus. */
  types?: readonly PiiType[];
}

// Non-ASCII text makes byte offsets differ from character offsets; some logs are Latin-1, not UTF-8.
const PHRASES = [
  'connection reset by peer',
  'request completed',
  'retrying in 5s',
  'cache miss for key',
  'user login failed',
  'payment declined',
  'scheduled job finished',
  'GC pause',
  'upstream timed out',
  'session created',
  'validation error',
  'lock acquired',
  'Benutzer Jürgen angemeldet',
  'échec de connexion',
  '接続がタイムアウトしました',
  'ошибка авторизации',
  '✓ healthy',
  'naïve café résumé',
  '🔥 deploy failed',
  'Zoë updated profile',
];
const LATIN1_PHRASES = [Buffer.from('caf\xe9 cr\xe8me', 'latin1'), Buffer.from([0xff, 0xfe, 0x20, 0x41]), Buffer.from([0xc3, 0x28])];

function message(r: Prng, pii: (type?: SampledType) => Segment[]): Segment[] {
  const parts: Segment[][] = [[plain(r.pick(PHRASES))]];
  if (r.chance(0.03)) parts.push([plain(r.pick(LATIN1_PHRASES))]);
  const values = r.pick([0, 1, 1, 1, 2]);
  for (let i = 0; i < values; i++) parts.push(pii());
  const negatives = r.pick([0, 1, 1, 2]);
  for (let i = 0; i < negatives; i++) parts.push([plain(hardNegative(r))]);
  // Shuffle, keeping the phrase first, so values and negatives appear in every position.
  for (let i = parts.length - 1; i > 1; i--) {
    const j = 1 + Math.floor(r.next() * i);
    [parts[i], parts[j]] = [parts[j], parts[i]];
  }
  return parts.flatMap((p, i) => (i === 0 ? p : [plain(r.pick([' ', ', ', ' | ', '; '])), ...p]));
}

/** Deterministic labelled corpus: realistic log lines in many formats with PII injected at known byte offsets. */
export function generateCorpus(options: CorpusOptions = {}): Corpus {
  const r = new Prng(options.seed ?? 1);
  const target = options.targetBytes ?? 2 << 20;
  const weights = (options.types ?? PII_TYPE_ORDER).filter((t): t is SampledType => t !== 'PrivateKey' && t !== 'Custom');
  const pick = (type?: SampledType): Segment[] => sample(r, type ?? (r.chance(0.02) ? 'PrivateKey' : r.pick(weights)));
  const ctx: LineContext = {
    r,
    pii: pick,
    value: (type) => sample(r, type).filter((s) => s.type !== undefined),
    message: () => message(r, pick),
  };
  const chunks: Buffer[] = [];
  const labels: LabelledValue[] = [];
  let offset = 0;
  while (offset < target) {
    for (const seg of r.pick(TEMPLATES)(ctx)) {
      const bytes = typeof seg.text === 'string' ? Buffer.from(seg.text, 'utf8') : seg.text;
      if (seg.type !== undefined) labels.push({ pii_type: seg.type, start: offset, end: offset + bytes.length });
      chunks.push(bytes);
      offset += bytes.length;
    }
  }
  return { bytes: Buffer.concat(chunks, offset), labels };
}

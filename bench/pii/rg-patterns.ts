import { TLD_ALTERNATION } from '@tftsr/pii/detectors/hostnames';

/**
 * The engine's 18 types as ripgrep (Rust regex) patterns, one per line for `rg -f`: what each detector's pass
 * looks for, without the validation done in code. `(?-u:\b)` keeps word boundaries ASCII so rg stays in its
 * DFA; \b with Unicode would make rg slower and the comparison kinder to us.
 */
const B = '(?-u:\\b)';

export const RG_PATTERNS: readonly string[] = [
  '-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----',
  '[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\\s:@/]*:[^\\s@/]+@[^\\s"\'<>]+',
  `(?i)${B}bearer[ \\t]+[A-Za-z0-9._~+/-]{8,}=*`,
  // No [\w.-]* prefix before the keyword: it made rg 25% slower, and the set of lines found is the same.
  `(?i)(?:password|passwd|passphrase|pwd|pass|secret|api[_-]?key|apikey|token|secret[_-]?key|access[_-]?key)["']?[ \\t]*[:=][ \\t]*["']?[^\\s"',;&]+`,
  `(?i)authorization["']?[ \\t]*[:=][ \\t]*["']?(?:basic|token)[ \\t]+[A-Za-z0-9._~+/=-]+`,
  'eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*',
  `${B}A[KS]IA[A-Z0-9]{16}${B}`,
  `${B}gh[pousr]_[A-Za-z0-9]{36,251}${B}|${B}github_pat_[A-Za-z0-9_]{22,251}${B}`,
  `${B}xox(?:[abposr]|e)-[A-Za-z0-9-]{10,250}|hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{16,200}`,
  'AIza[0-9A-Za-z_-]{35}|[sr]k_(?:live|test)_[0-9A-Za-z]{16,247}|SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}',
  `${B}[0-9]{3}-[0-9]{2}-[0-9]{4}${B}`,
  `${B}(?:[0-9]{13,16}|[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,4}|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})${B}`,
  `${B}[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?${B}`,
  '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}',
  `${B}[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}${B}|${B}[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}${B}`,
  '(?i)(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?(?:%[A-Za-z0-9._~-]+)?|::(?:[0-9a-f]{1,4}:){0,6}(?:[0-9a-f]{1,4}|[0-9]{1,3}(?:\\.[0-9]{1,3}){3})',
  `${B}(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])${B}`,
  `\\+[1-9][0-9]{0,3}(?:[ .-]?(?:\\([0-9]{1,4}\\)|[0-9]{1,6})){1,6}|\\([0-9]{3}\\)[ .-]?[0-9]{3}[ .-][0-9]{4}|${B}[0-9]{3}[-. ][0-9]{3}[-. ][0-9]{4}${B}`,
  `(?i)${B}(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+(?:${TLD_ALTERNATION})${B}`,
];

import { type Detector, hit, isDigit, scanAnchors } from './detector';
import { IPV6_SCAN_MAX, ciscoMacAt, colonCandidateAt, dashMacAt, ipv4At } from './address-handlers';
import { HOST_MAX, TLD_ALTERNATION, hostnameStart } from './hostnames';

const H = '[0-9A-Fa-f]';
/**
 * One pass from the separators of every address type, dispatched on the first character:
 * - ":" an IPv6 address ("::", or three colons around hex groups) or a colon-separated MAC;
 * - "-" a dash-separated MAC, from its inner dashes;
 * - "." an IPv4 address (from its first dot), a host name (the dot before a known TLD) or a Cisco MAC.
 * Five passes folded into one cost about half as much: each pass pays irregexp's per-byte loop.
 */
const ADDRESS_ANCHOR_RE = new RegExp(
  [
    `::|:${H}{1,4}:${H}{1,4}:`,
    `-${H}${H}-${H}${H}-${H}${H}-${H}${H}-`,
    `\\.(?:\\d\\d?\\d?\\.\\d\\d?\\d?\\.\\d|${H}${H}${H}${H}\\.${H}${H}${H}${H}|(?:${TLD_ALTERNATION})(?![A-Za-z0-9_-]))`,
  ].join('|'),
  'gi',
);

export const addressDetector: Detector = {
  name: 'address',
  types: ['IPv6', 'MAC', 'IPv4', 'Hostname'],
  maxSpan: IPV6_SCAN_MAX + 40,
  maxBack: HOST_MAX + 2,
  scan(text, from, limit, out) {
    return scanAnchors(ADDRESS_ANCHOR_RE, text, from, limit, (m) => {
      const c = m[0].charCodeAt(0);
      if (c === 58) return colonCandidateAt(text, m.index, out);
      if (c === 45) return dashMacAt(text, m.index, out);
      // No capture groups (each costs an allocation per match): the shape tells the branches apart.
      const a = m[0];
      if (a.length === 10 && a.charCodeAt(5) === 46) return ciscoMacAt(text, m.index, out);
      if (isDigit(a.charCodeAt(1))) return ipv4At(text, m.index, out);
      const end = m.index + a.length;
      const start = hostnameStart(text, m.index, end);
      if (start >= 0) out.push(hit('Hostname', start, end));
      return end;
    });
  },
};

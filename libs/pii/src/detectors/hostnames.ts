import { isAlnum, isWord } from './detector';

// Country codes. Names that are also common file extensions or field names are in WEAK_TLDS below.
const COUNTRY_TLDS = `ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt
  bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk
  fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je
  jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq
  mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re
  ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv
  tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw`;
// Generic TLDs seen in ops logs, and the private suffixes of internal networks. `.name`, `.int`, `.zip`,
// `.mov` and `.home` are left out on purpose: user.name, value.int, logs.zip and user.home are not hosts.
const GENERIC_TLDS = `com net org edu gov mil biz info app dev cloud xyz online site tech asia mobi local internal lan
  corp localdomain intranet arpa`;
const TLDS = `${COUNTRY_TLDS} ${GENERIC_TLDS}`.split(/\s+/).filter(Boolean);

/** Country codes that are also file extensions or short field names (setup.py, config.in, user.id, Foo.cc). */
const WEAK_TLDS = new Set('ac am as cc cr gd id im in ls md mk ml mm mo ms pl pm ps py re rs sh so st sv tm ws'.split(' '));
// A weak TLD counts only under a registry-style second level (example.co.in) or a www. name.
const GENERIC_SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'nic']);
/** Common words as TLDs (Safari.app, log.info): a host needs at least three labels. */
const THREE_LABEL_TLDS = new Set(['app', 'info']);
/** Reverse-DNS package roots: com.example.app and org.apache.commons.io are code, not hosts. */
const PACKAGE_ROOTS = new Set('com org net io edu gov java javax jdk sun android androidx dalvik kotlin kotlinx scala'.split(' '));

/** The TLDs as a regex alternation, longest first so "com" is tried before "co". */
export const TLD_ALTERNATION = [...TLDS].sort((a, b) => b.length - a.length).join('|');
export const HOST_MAX = 253;

function isLabelChar(c: number): boolean {
  return isAlnum(c) || c === 45;
}

function caseOk(tld: string, labels: number): boolean {
  if (tld === tld.toLowerCase()) return true;
  // Upper-case names are real (DC01.CORP.EXAMPLE.COM) but so are ASP.NET and friends; ask for three labels.
  return tld === tld.toUpperCase() && labels >= 3;
}

/** Walks back from the dot before the TLD over labels; returns the host's start, or -1. */
function hostStart(text: string, dot: number): { start: number; labels: number } | null {
  let start = dot;
  let labels = 1;
  for (;;) {
    const labelEnd = start;
    while (start > dot - HOST_MAX && isLabelChar(text.charCodeAt(start - 1))) start--;
    while (start < labelEnd && text.charCodeAt(start) === 45) start++;
    if (start === labelEnd || labelEnd - start > 63 || text.charCodeAt(labelEnd - 1) === 45) {
      return labels >= 2 ? { start: labelEnd + 1, labels } : null;
    }
    labels++;
    if (text.charCodeAt(start - 1) !== 46 || !isLabelChar(text.charCodeAt(start - 2))) return { start, labels };
    start--;
  }
}

/** The "/" at `slash` follows another "/" in the same token, as in /etc/x/ or a/b/, but not a URL's "//". */
function inPath(text: string, slash: number): boolean {
  if (text.charCodeAt(slash - 1) === 47) return false;
  for (let i = slash - 1; i > slash - 64; i--) {
    const c = text.charCodeAt(i);
    if (c === 47) return text.charCodeAt(i - 1) !== 47 && text.charCodeAt(i + 1) !== 47;
    if (!(c > 32) || c === 34 || c === 39) return false;
  }
  return false;
}

/** Start of the host name whose TLD runs from `dot` to `tldEnd`, or -1 when this is not a host name. */
export function hostnameStart(text: string, dot: number, tldEnd: number): number {
  const after = text.charCodeAt(tldEnd);
  if (after === 46 && isAlnum(text.charCodeAt(tldEnd + 1))) return -1; // not the last label
  const host = hostStart(text, dot);
  if (host === null) return -1;
  const { start, labels } = host;
  const before = text.charCodeAt(start - 1);
  // A path component (/srv/www/foo.com, C:\x\foo.com) or an identifier (my_var.com, $x.com) is not a host name;
  // a name after "//" (a URL) or after one "kind/" (node/ip-10-0-0-1.ec2.internal) is.
  if (isWord(before) || before === 92 || before === 36 || (before === 47 && inPath(text, start - 1))) return -1;
  const tld = text.slice(dot + 1, tldEnd);
  const lowerTld = tld.toLowerCase();
  const firstDot = text.indexOf('.', start);
  const first = text.slice(start, firstDot).toLowerCase();
  if (!caseOk(tld, labels) || PACKAGE_ROOTS.has(first)) return -1;
  if (THREE_LABEL_TLDS.has(lowerTld) && labels < 3) return -1;
  if (WEAK_TLDS.has(lowerTld)) {
    const second = text.slice(text.lastIndexOf('.', dot - 1) + 1, dot).toLowerCase();
    if (!GENERIC_SECOND_LEVEL.has(second) && !(first === 'www' && labels >= 3)) return -1;
  }
  return start;
}

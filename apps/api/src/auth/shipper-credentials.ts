/**
 * The API key a log shipper presents, in any of the forms shippers can send:
 * - `Bearer <key>` (Vector, Fluent Bit, pino-loki/winston-loki with a header);
 * - `Basic base64(user:key)`: Promtail/Alloy `basic_auth` and Elasticsearch outputs put the key in the password
 *   (a password-less `Basic base64(key:)` is read from the user part);
 * - `ApiKey base64(id:key)` (Elasticsearch's API key header; the id part is ignored) or `ApiKey <key>`.
 * Null when the header holds none of these. Kept apart from the guard so that it moves with the admission code.
 */
export function shipperKey(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^(Bearer|Basic|ApiKey) +([\x21-\x7e]{1,1024})$/i.exec(authorization.trim());
  if (!match) return null;
  const scheme = match[1].toLowerCase();
  const value = match[2];
  if (scheme === 'bearer') return value;
  if (scheme === 'apikey' && value.startsWith('tftsr_')) return value;
  const decoded = decodeBase64(value);
  if (decoded === null) return null;
  const colon = decoded.indexOf(':');
  if (scheme === 'apikey') return orNull(colon === -1 ? decoded : decoded.slice(colon + 1));
  if (colon === -1) return null;
  return orNull(decoded.slice(colon + 1)) ?? orNull(decoded.slice(0, colon));
}

function decodeBase64(value: string): string | null {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return /^[\x20-\x7e]+$/.test(text) ? text : null;
}

function orNull(key: string): string | null {
  return /^[\x21-\x7e]{1,512}$/.test(key) ? key : null;
}

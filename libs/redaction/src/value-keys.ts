import { createHmac } from 'node:crypto';
import { deriveKey } from '@tftsr/db/keys';

/**
 * Keyed names for detected values. A value id names a distinct (type, value) in the API without revealing it;
 * a pseudonym key names it within one issue, for numbered replacements. Each comes from its own HKDF label, so
 * neither can be used to compute the other, and neither is the database key.
 */
export class ValueKeys {
  private readonly idKey: Buffer;
  private readonly pseudonymKey: Buffer;

  constructor(databaseKey: string | null) {
    this.idKey = deriveKey(databaseKey, 'pii-value-id');
    this.pseudonymKey = deriveKey(databaseKey, 'pii-pseudonym');
  }

  valueId(type: string, value: string): string {
    return createHmac('sha256', this.idKey).update(`${type}\0${value}`).digest('hex').slice(0, 32);
  }

  /** A span whose value was wiped before it was indexed is its own value. */
  wipedValueId(spanId: string): string {
    return this.valueId('\0wiped', spanId);
  }

  pseudonymKeyOf(issueId: string, type: string, value: string): string {
    return createHmac('sha256', this.pseudonymKey).update(`${issueId}\0${type}\0${value}`).digest('hex');
  }
}

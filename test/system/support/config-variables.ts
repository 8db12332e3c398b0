import { getMetadataStorage } from 'class-validator';
import { FILE_SECRETS } from '@tftsr/config';
import { ApiConfig } from '@tftsr/api/config/api.config';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';

/**
 * Every TFTSR_* variable a process reads: the validated properties of the API's and the worker's config classes
 * (both extend BaseConfig), and NAME_FILE for each secret that may come from a file.
 */
export function knownTftsrVariables(): Set<string> {
  const storage = getMetadataStorage();
  const declared = [ApiConfig, WorkerConfig].flatMap((cls) =>
    storage.getTargetValidationMetadatas(cls, '', true, false).map((m) => m.propertyName),
  );
  const fromFiles = FILE_SECRETS.map((name) => `${name}_FILE`);
  return new Set([...declared, ...fromFiles].filter((name) => name.startsWith('TFTSR_')));
}

/** The TFTSR_* names among `names` that no config class knows, sorted and once each. */
export function unknownTftsrVariables(names: Iterable<string>): string[] {
  const known = knownTftsrVariables();
  return [...new Set([...names].filter((name) => name.startsWith('TFTSR_') && !known.has(name)))].sort();
}

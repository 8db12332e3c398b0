import { type FaultRig, smallLog } from '../faults/fault-rig';

/** A token and a password per file, which the scan must find in every one of them. */
export const PLANTED_TYPES = ['GitHubToken', 'Password'] as const;

export function logWithPlantedSecret(tag: string): Buffer {
  const secret = `${tag} deploy: git clone with token ghp_PlantedPlantedPlantedPlanted01234567 password=Planted-Secret-41f7\n`;
  return Buffer.concat([smallLog(tag, 5), Buffer.from(secret)]);
}

/** Uploads `n` files one after the other, each answered 202. */
export async function uploadPlanted(rig: FaultRig, issueId: string, tag: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const answer = await rig.upload(issueId, `${tag}-${i}.log`, logWithPlantedSecret(`${tag}-${i}`));
    if (answer.status !== 202) throw new Error(`upload ${tag}-${i} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    ids.push(answer.body.id);
  }
  return ids;
}

/** The log files among `ids` in which the scan did not commit a span of each planted type. */
export function missingPlantedSpans(rig: FaultRig, ids: readonly string[]): string[] {
  const found = rig.db().prepare('SELECT count(DISTINCT pii_type) AS n FROM pii_spans WHERE log_file_id = ? AND pii_type IN (?, ?)');
  return ids.filter((id) => (found.get(id, ...PLANTED_TYPES) as { n: number }).n !== PLANTED_TYPES.length);
}

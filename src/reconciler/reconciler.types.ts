/** Every kind of finding, in the order the API documents them; metrics show each from the start. */
export const FINDING_KINDS = [
  'interrupted-create',
  'interrupted-expand',
  'interrupted-delete',
  'directory-without-record',
  'quota-without-directory',
  'quota-list-failed',
  'missing-quota',
  'orphan-name',
  'stale-lock',
  'legacy-volume',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  detail: string;
  kind: FindingKind;
  repaired: boolean;
  volumeId?: string;
}

export interface ClusterReport {
  cluster: string;
  findings: Finding[];
  volume: string;
}

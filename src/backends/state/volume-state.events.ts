export const TRASH_FILLED = 'state.trash-filled';

/** Something was moved into a cluster's trash; its purge (quotas first) can run. */
export class TrashFilled {
  constructor(readonly clusterId: string) {}
}

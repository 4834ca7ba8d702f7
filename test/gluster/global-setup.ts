import { ensureGlusterd } from './gluster-volume.fixture.js';

/** vitest globalSetup of the real-Gluster tests: GlusterFS installed and glusterd answering. */
export default async function setup(): Promise<void> {
  await ensureGlusterd();
}

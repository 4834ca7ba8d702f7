import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIB, MOUNT } from './csi-client.js';
import { ControllerShape } from './controller-shapes.js';

interface Volume {
  volume_id: string;
}

const create = (name: string) => ({
  capacity_range: { required_bytes: String(GIB) },
  name,
  volume_capabilities: [MOUNT('MULTI_NODE_MULTI_WRITER')],
});

/** Idempotency that must hold beyond one process: controller restarts and several controllers on one API. */
describe('CSI controller restarts and instances (through HeketiApiClient)', () => {
  let sut: ControllerShape;

  beforeAll(async () => {
    sut = await ControllerShape.start('api');
  });

  afterAll(async () => {
    await sut?.stop();
  });

  it('should give a create retried after the controller was killed the volume it made before', async () => {
    const before = await sut.csi.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-restart'));
    await sut.restartController();
    const after = await sut.csi.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-restart'));
    expect(after.volume).toEqual(before.volume);
  });

  it('should give two controllers creating one name at once one volume', async () => {
    const second = await sut.secondController();
    try {
      const attempt = (client: typeof sut.csi) =>
        client.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-two-controllers')).then(
          (response) => response.volume.volume_id,
          (error: { code: number }) => {
            expect(error.code).toBe(status.ABORTED);
            return undefined;
          },
        );
      const ids = await Promise.all([
        attempt(sut.csi),
        attempt(second.client),
        attempt(sut.csi),
        attempt(second.client),
      ]);
      const settled = (
        await second.client.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-two-controllers'))
      ).volume.volume_id;
      expect(ids.filter((id) => id !== undefined).every((id) => id === settled)).toBe(true);
      const found = (await sut.heketi.request('GET', '/piragua/volumes/by-name/pvc-two-controllers')).json();
      expect(found.id).toBe(settled);
      const again = await sut.csi.call<{ volume: Volume }>('Controller', 'CreateVolume', create('pvc-two-controllers'));
      expect(again.volume.volume_id).toBe(settled);
    } finally {
      await second.stop();
    }
  });

  it('should answer Probe with FAILED_PRECONDITION once the API is gone', async () => {
    await sut.rest.stop();
    const probe = await sut.csi.failure('Identity', 'Probe');
    expect(probe.code).toBe(status.FAILED_PRECONDITION);
    expect(probe.details).toMatch(/unreachable/);
    const create503 = await sut.csi.failure('Controller', 'CreateVolume', create('pvc-no-api'));
    expect(create503.code).toBe(status.UNAVAILABLE);
  });
});

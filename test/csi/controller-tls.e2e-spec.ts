import { status } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../factories/self-signed-certificate.factory.js';
import { ADMIN_KEY, PiraguaProcess } from '../piragua-process.js';
import { CsiClient, GIB, MOUNT } from './csi-client.js';
import { CsiProcess } from './csi-process.js';

/** A CSI controller provisioning through an https piragua, trusting it only through PIRAGUA_HEKETI_CA. */
describe('CSI controller through an https REST API', () => {
  let dir: string;
  let certFile: string;
  let rest: PiraguaProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'piragua-csi-tls-'));
    let keyFile: string;
    ({ certFile, keyFile } = selfSignedCertificate(dir));
    rest = await PiraguaProcess.start(
      { PIRAGUA_DATA_DIR: join(dir, 'data'), PIRAGUA_TLS_CERT: certFile, PIRAGUA_TLS_KEY: keyFile },
      { tls: { ca: readFileSync(certFile) } },
    );
  });

  afterAll(async () => {
    await rest?.stop();
    await rm(dir, { force: true, recursive: true });
  });

  const controller = async (name: string, extra: Record<string, string>) => {
    const socketPath = join(dir, name, 'csi.sock');
    const plugin = await CsiProcess.start(socketPath, {
      PIRAGUA_CSI_MODE: 'controller',
      PIRAGUA_HEKETI_KEY: ADMIN_KEY,
      PIRAGUA_HEKETI_URL: rest.url,
      ...extra,
    });
    return { client: new CsiClient(socketPath), plugin };
  };

  it('should provision when the CA is given', async () => {
    const { client, plugin } = await controller('trusted', { PIRAGUA_HEKETI_CA: certFile });
    try {
      expect(await client.call('Identity', 'Probe')).toEqual({ ready: { value: true } });
      const { volume } = await client.call<{ volume: { capacity_bytes: string } }>('Controller', 'CreateVolume', {
        capacity_range: { required_bytes: String(GIB) },
        name: 'pvc-over-tls',
        volume_capabilities: [MOUNT()],
      });
      expect(volume.capacity_bytes).toBe(String(GIB));
    } finally {
      client.close();
      await plugin.stop();
    }
  });

  it('should refuse a server it cannot verify, saying so', async () => {
    const { client, plugin } = await controller('untrusted', {});
    try {
      const probe = await client.failure('Identity', 'Probe');
      expect(probe.code).toBe(status.FAILED_PRECONDITION);
      expect(probe.details).toMatch(/SELF_SIGNED|certificate/i);
      const create = await client.failure('Controller', 'CreateVolume', {
        name: 'pvc-untrusted',
        volume_capabilities: [MOUNT()],
      });
      expect(create.code).toBe(status.UNAVAILABLE);
    } finally {
      client.close();
      await plugin.stop();
    }
  });
});

import { describe } from 'vitest';
import { describeQuotaContract } from '../contracts/quota-backend.contract.js';
import { describeTopologyContract } from '../contracts/topology-backend.contract.js';
import { describeVolumeStateContract } from '../contracts/volume-state.contract.js';
import { FakeStorage } from './fake-storage.js';

/** The fake the services' specs run against must behave as the real backends do. */
describe(FakeStorage.name, () => {
  const start = () => {
    const fake = new FakeStorage();
    return { clusterId: fake.topology[0].id, fake };
  };
  const nothing = async () => undefined;

  describeTopologyContract('FakeStorage', async () => ({
    cleanup: nothing,
    restart: async () => new FakeStorage(),
    topology: new FakeStorage(),
    volumeName: 'gv0',
  }));

  describeQuotaContract('FakeStorage', async () => {
    const { clusterId, fake } = start();
    return { cleanup: nothing, clusterId, quotas: fake, store: fake };
  });

  describeVolumeStateContract('FakeStorage', async () => {
    const { clusterId, fake } = start();
    return { another: () => fake, cleanup: nothing, clusterId, store: fake };
  });
});

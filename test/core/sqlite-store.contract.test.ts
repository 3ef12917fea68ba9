import { join } from 'node:path';
import { SqliteOperationStore } from '../../src/core/operations/sqlite-operation-store.js';
import { tempDir } from '../helpers/cluster.js';
import { storeContract } from './operation-store-contract.js';

storeContract('sqlite', {
  async fresh() {
    const dir = tempDir();
    const path = join(dir.path, 'ops.db');
    return { open: async () => new SqliteOperationStore(path), drop: async () => dir.remove() };
  },
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notReady } from '../../src/net/health.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { ClusterView } from '../../src/core/cluster-view.js';

/** /readyz's reasons from the server's state: the ones an integration test cannot catch in time (start, shutdown). */

const limits = { history: 10, offline: 10, retentionMs: 86_400_000 };

test('ready: started, not shutting down, store open, no cluster', () => {
  assert.deepEqual(notReady({ shuttingDown: false, store: new MemoryStore(limits), cluster: undefined }, true), []);
});

test('each reason is named: starting, shutting down, a closed store, the cluster bus down', async () => {
  const store = new MemoryStore(limits);
  await store.close();
  const cluster = { up: false } as ClusterView;
  assert.deepEqual(notReady({ shuttingDown: true, store, cluster }, false), ['starting', 'shutting down', 'store (memory) not open', 'cluster bus down']);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { armKeepAlive } from '../../src/net/keepalive.js';

test('keepalive: on, first probe after the base delay plus a random share of it, spread over the range', () => {
  const delays: number[] = [];
  const socket = { setKeepAlive: (on: boolean, ms: number) => { assert.equal(on, true); delays.push(ms); } } as unknown as Socket;
  for (let i = 0; i < 2000; i++) armKeepAlive(socket, 30_000);
  assert.ok(delays.every((d) => d >= 30_000 && d < 60_000), 'within [base, 2 x base)');
  // Connections that arrive together must not probe together: the whole-second buckets Node uses
  // are all in use.
  assert.equal(new Set(delays.map((d) => Math.floor(d / 1000))).size, 30);
});

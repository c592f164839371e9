// The AF_XDP echo through a simulated network: an XDP program redirects UDP into the xskmap,
// TypeScript echoes it back out of the device, the peer receives it; the rest passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { swapMacs } from '../../../test/afxdp/echo.js';
import { ECHO_TRAFFIC, runEchoSim } from '../../../test/afxdp/echo-run.js';
import { generateTraffic } from '../traffic.js';

test('AF_XDP echo on a simulated veth pair: redirected, echoed, received by the peer', () => {
  const out = runEchoSim();
  const udp = ECHO_TRAFFIC[0]!.count;
  assert.equal(out.redirected, udp);
  assert.equal(out.echoed.length, udp);
  assert.equal(out.passed.length, ECHO_TRAFFIC[1]!.count);
  const want = generateTraffic(ECHO_TRAFFIC)
    .filter((p) => p.data[23] === 17) // IPv4 protocol UDP
    .map((p) => {
      const f = p.data.slice();
      swapMacs(f);
      return Buffer.from(f).toString('hex');
    })
    .sort();
  assert.deepEqual(out.echoed, want, 'each UDP frame back once, MACs swapped, bytes otherwise unchanged');
  assert.deepEqual(out.stats.rx_dropped + out.stats.rx_ring_full + out.stats.tx_invalid_descs, 0);
  assert.deepEqual(runEchoSim(), out, 'runs repeat exactly');
});

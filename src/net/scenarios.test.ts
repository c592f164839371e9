// The data-path scenarios (test/net/scenarios.ts) in the simulation: each meets its expected
// counts, maps and frames; the kernel runner (net-xsk) compares its outcome with this one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScenarioSim } from '../../test/net/run-sim.js';
import { SCENARIOS } from '../../test/net/scenarios.js';
import { generateTraffic } from './traffic.js';

for (const s of SCENARIOS) {
  test(`scenario ${s.name}: ${s.description}`, () => {
    const out = runScenarioSim(s);
    for (const [dev, n] of Object.entries(s.expect.received ?? {}))
      assert.equal(out.received[dev]?.length, n, `${dev} stack received`);
    for (const [map, entries] of Object.entries(s.expect.maps ?? {}))
      for (const [key, n] of Object.entries(entries)) assert.equal(out.maps[map]?.[key], n, `${map}[${key}]`);
    for (const [dev, counts] of Object.entries(s.expect.xdp ?? {}))
      for (const [action, n] of Object.entries(counts))
        assert.equal(out.xdp?.[dev]?.[action], n, `${dev} XDP_${action}`);
    // Runs repeat exactly.
    assert.deepEqual(runScenarioSim(s), out);
  });
}

test('scenario xdp-tx-reflector: the frames that come back are the UDP frames sent, MACs, addresses and ports swapped', () => {
  const s = SCENARIOS.find((x) => x.name === 'xdp-tx-reflector')!;
  const swap = (f: Uint8Array) => {
    const o = f.slice();
    o.set(f.subarray(6, 12), 0);
    o.set(f.subarray(0, 6), 6);
    o.set(f.subarray(30, 34), 26);
    o.set(f.subarray(26, 30), 30);
    o.set(f.subarray(36, 38), 34);
    o.set(f.subarray(34, 36), 36);
    return Buffer.from(o).toString('hex');
  };
  const udp = generateTraffic(s.traffic[0]!.templates).filter((p) => p.data[23] === 17);
  assert.equal(udp.length, 40);
  assert.deepEqual(runScenarioSim(s).received['tsbpfs-r1'], udp.map((p) => swap(p.data)).sort());
});

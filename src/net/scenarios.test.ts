// The data-path scenarios (test/net/scenarios.ts) in the simulation: each meets its expected
// counts, maps and frames; the kernel runner (net-xsk) compares its outcome with this one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScenarioSim } from '../../test/net/run-sim.js';
import { SCENARIOS } from '../../test/net/scenarios.js';

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

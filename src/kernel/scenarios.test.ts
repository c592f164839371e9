// The data-path scenarios (test/net/scenarios.ts) on real veths in a tsbpfx namespace, compared
// with the simulation's run of the same object and traffic: the frames every device received and
// the final map contents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernelNetSkip } from '../../test/afxdp/kernel-env.js';
import { exampleMissingHelper } from '../../test/kernel-helpers.js';
import { runScenarioKernel } from '../../test/net/run-kernel.js';
import { runScenarioSim } from '../../test/net/run-sim.js';
import { SCENARIOS } from '../../test/net/scenarios.js';

const skip = kernelNetSkip();

for (const s of SCENARIOS) {
  const lacking = skip === undefined ? exampleMissingHelper(s.object) : undefined;
  test(`scenario ${s.name} on the kernel agrees with the simulation`, { skip: skip ?? lacking }, () => {
    const sim = runScenarioSim(s);
    // AF_PACKET captures before TC ingress: a device with a TC ingress program is compared by maps.
    const tcIngress = new Set(s.attach.filter((a) => a.hook === 'tc-ingress').map((a) => a.device));
    // The kernel run waits for as many frames as the simulation's at each device compared.
    const counts = Object.entries(sim.received).filter(([dev]) => !tcIngress.has(dev));
    const kernel = runScenarioKernel(s, Object.fromEntries(counts.map(([dev, f]) => [dev, f.length])));
    for (const dev of tcIngress) {
      delete kernel.received[dev];
      delete sim.received[dev];
    }
    for (const m of s.runnerSpecificMaps ?? []) {
      delete kernel.maps[m];
      delete sim.maps[m];
    }
    for (const dev of Object.keys(sim.received))
      assert.equal(kernel.received[dev]?.length, sim.received[dev]?.length, `${dev}: frames received`);
    assert.deepEqual(kernel.received, sim.received, 'the same frames');
    assert.deepEqual(kernel.maps, sim.maps, 'the same maps');
  });
}

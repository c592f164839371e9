// The controller of the data-plane tests, written once and run on both platforms (the simulation
// in dataplane.test.ts, the kernel in kernel.test.ts and the dataplane-child of survive.test.ts):
// host A's side on `a0`, host B's on `b0`, the hosts' MACs as neighbours and their /24s as
// routes (unless the kernel's tables are followed instead), 10.77.0.0/24 punted to the
// controller, and every flow miss and punted packet kept.

import type { Dataplane, FlowEvent, PuntedPacket } from '../../src/dataplane/index.js';

export interface RouterController {
  readonly misses: FlowEvent[];
  readonly punted: PuntedPacket[];
}

export function startRouter(
  dp: Dataplane,
  o: { a0: string; b0: string; macA: string; macB: string; followKernel?: boolean },
): RouterController {
  const misses: FlowEvent[] = [];
  const punted: PuntedPacket[] = [];
  dp.onFlowMiss((e) => misses.push(e));
  dp.onPunt((p) => punted.push(p));
  dp.bind(o.a0);
  dp.bind(o.b0);
  if (o.followKernel !== true) {
    dp.setNeighbour('10.1.0.2', o.macA);
    dp.setNeighbour('10.2.0.2', o.macB);
    dp.setRoute({ prefix: '10.1.0.0/24', dev: o.a0 });
    dp.setRoute({ prefix: '10.2.0.0/24', dev: o.b0 });
  }
  dp.setRoute({ prefix: '10.77.0.0/24', punt: true });
  return { misses, punted };
}

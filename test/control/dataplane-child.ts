// A controller process for the data-plane survival test: in namespace argv[2] it starts the
// reference router on kernelPlatform with pins under argv[3], binds devices argv[4] and argv[5],
// runs the controller of router-controller.ts (host A's MAC argv[6], host B's argv[7]),
// reports the XDP program's id as one JSON line, and polls until it is killed. argv[8], when
// given, is how XDP and TC attach (kernelPlatform's xdpAttach and tcAttach: auto, bpf-link or
// netlink).

import { readFileSync } from 'node:fs';
import { Dataplane } from '../../src/dataplane/index.js';
import { kernelPlatform } from '../../src/dataplane/kernel.js';
import { loadCollectionSpec } from '../../src/index.js';
import type { KernelCollection } from '../../src/kernel/index.js';
import { joinNetns } from '../../src/kernel/netns.js';
import { startRouter } from './router-controller.js';

const [netns, pinPath, a0, b0, macA, macB, via = 'auto'] = process.argv.slice(2);
if ([netns, pinPath, a0, b0, macA, macB].includes(undefined))
  throw new Error('usage: dataplane-child NETNS PINPATH A0 B0 MAC_A MAC_B [auto|bpf-link|netlink]');
if (via !== 'auto' && via !== 'bpf-link' && via !== 'netlink')
  throw new Error(`unknown XDP attach way '${via}'`);
joinNetns(netns!);
const spec = loadCollectionSpec(
  new Uint8Array(readFileSync(new URL('../../../examples/router/router.v3.o', import.meta.url))),
);
const dp = new Dataplane(spec, kernelPlatform({ pinPath: pinPath!, xdpAttach: via, tcAttach: via }));
startRouter(dp, { a0: a0!, b0: b0!, macA: macA!, macB: macB! });
const progId = (dp.collection as KernelCollection).program('xdp_router').kernel.id;
process.stdout.write(`${JSON.stringify({ progId })}\n`);
setInterval(() => dp.poll(), 50); // a controller keeps running (holding its fds) until killed

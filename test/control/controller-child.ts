// A controller process for the survival test: in namespace argv[2] it creates the counter map,
// loads version 1 of the counting program, attaches it to ifindex argv[3] with an XDP link,
// pins link and map in directory argv[4], reports the ids as one JSON line, and runs until it
// is killed.

import { attachXdp, createMap } from '../../src/kernel/index.js';
import { joinNetns } from '../../src/kernel/netns.js';
import { countingProgram } from './survive-env.js';

const [netns, ifindex, dir] = process.argv.slice(2);
if (netns === undefined || ifindex === undefined || dir === undefined)
  throw new Error('usage: controller-child NETNS IFINDEX PINDIR');
joinNetns(netns);
const map = createMap({ type: 'ARRAY', keySize: 4, valueSize: 8, maxEntries: 8, name: 'k12_counts' });
const prog = countingProgram(map, [0], 'k12_v1');
const link = attachXdp(prog, Number(ifindex), 'native');
link.pin(`${dir}/link`);
map.pin(`${dir}/counts`);
process.stdout.write(`${JSON.stringify({ progId: prog.id, linkId: link.id, mapId: map.id })}\n`);
setInterval(() => {}, 1 << 30); // a controller keeps running (holding its fds) until killed

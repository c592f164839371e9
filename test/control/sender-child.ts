// Continuous traffic for the survival test: in namespace argv[2], sends test frames out of
// ifindex argv[3] (or the frame given in hex as argv[4]) in bursts of 8 every millisecond until
// its stdin ends, then prints how many it sent as one JSON line. The pace keeps the peer's receive ring from overflowing.

import { PacketSocket } from '../../src/kernel/index.js';
import { joinNetns } from '../../src/kernel/netns.js';
import { testFrame } from '../afxdp/kernel-env.js';

const [netns, ifindex, frameHex] = process.argv.slice(2);
if (netns === undefined || ifindex === undefined) throw new Error('usage: sender-child NETNS IFINDEX');
joinNetns(netns);
const tx = PacketSocket.open(Number(ifindex));
let sent = 0;
let stop = false;
process.stdin.on('data', () => {});
process.stdin.on('end', () => {
  stop = true;
});
const burst = () => {
  if (stop) {
    tx.close();
    process.stdout.write(`${JSON.stringify({ sent })}\n`);
    return;
  }
  for (let k = 0; k < 8; k++) {
    tx.send(frameHex === undefined ? testFrame(sent & 0xff) : Buffer.from(frameHex, 'hex'));
    sent++;
  }
  setTimeout(burst, 1);
};
burst();

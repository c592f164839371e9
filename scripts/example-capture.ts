// Writes examples/ddos.pcap, the capture the README's main-job command runs xdp_ddos over:
// normal UDP from 16 sources with varying ports and sizes, interleaved with a TCP flood from
// 192.168.1.7 (the source examples/ddos-blocklist.json blocks). Deterministic (seeded).
// Run: npm run build && node dist/scripts/example-capture.js
import { writeFileSync } from 'node:fs';
import { generateTraffic, writePcap } from '../src/net/index.js';

const frames = generateTraffic([
  {
    count: 2000,
    src: '10.0.0.0/28',
    dst: '10.0.1.1',
    srcPort: [1024, 1279],
    dstPort: 53,
    size: [64, 1024],
    rate: 1e5,
  },
  {
    count: 1000,
    protocol: 'tcp',
    src: '192.168.1.7',
    dst: '10.0.1.1',
    dstPort: 80,
    size: 60,
    rate: 5e4,
    start: 5000n,
  },
]);
writeFileSync(new URL('../../examples/ddos.pcap', import.meta.url), writePcap(frames));
console.log(`examples/ddos.pcap: ${frames.length} frames`);

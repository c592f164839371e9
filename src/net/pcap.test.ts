// pcap reading and writing: the bundled capture, a round trip, and corrupt files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { LoadError, NotSupportedError } from '../errors.js';
import { isPcap, readPcap, writePcap } from './pcap.js';

const root = new URL('../../../', import.meta.url);
const bundled = new Uint8Array(readFileSync(new URL('test/packets/all.pcap', root)));
const manifest = JSON.parse(readFileSync(new URL('test/packets/manifest.json', root), 'utf8')) as Record<
  string,
  { file: string }
>;

test('reads the bundled capture: every manifest packet, in order', () => {
  assert.ok(isPcap(bundled));
  const pcap = readPcap(bundled);
  assert.equal(pcap.linkType, 1);
  const files = Object.values(manifest).map(
    (m) => new Uint8Array(readFileSync(new URL(`test/packets/${m.file}`, root))),
  );
  assert.deepEqual(
    pcap.packets.map((p) => p.data),
    files,
  );
});

test('write then read gives the same packets', () => {
  const pcap = readPcap(bundled);
  const again = readPcap(writePcap(pcap.packets));
  assert.deepEqual(
    again.packets.map((p) => [p.data, p.originalLength]),
    pcap.packets.map((p) => [p.data, p.originalLength]),
  );
  assert.ok(again.nanoseconds);
});

test('corrupt captures give a LoadError, pcapng a NotSupportedError', () => {
  assert.throws(() => readPcap(bundled.subarray(0, 10)), LoadError);
  assert.throws(() => readPcap(bundled.subarray(0, 30)), /record 0 header truncated/);
  assert.throws(() => readPcap(new Uint8Array(24)), /bad magic/);
  assert.throws(
    () => readPcap(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(40))),
    NotSupportedError,
  );
  fc.assert(
    fc.property(fc.nat(bundled.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const copy = bundled.slice();
      copy[at] = byte;
      try {
        readPcap(copy);
      } catch (e) {
        assert.ok(e instanceof LoadError || e instanceof NotSupportedError, String(e));
      }
    }),
    { numRuns: 500 },
  );
});

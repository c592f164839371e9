// No fd leaks: loading, running and closing many programs and maps (including failed loads and
// failed map operations) leaves the number of open fds in /proc/self/fd where it was.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { insn, op as O } from '../isa/index.js';
import { bpfAvailability } from './available.js';
import { createMap } from './map.js';
import { loadProgram } from './program.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;
const openFds = () => readdirSync('/proc/self/fd').length;

test('programs and maps give their fds back', { skip }, () => {
  const exit = insn(O.OP_EXIT, 0, 0, 0, 0);
  const ret = insn(O.BPF_ALU64 | O.BPF_MOV | O.BPF_K, 0, 0, 0, 1);
  const before = openFds();
  let peak = before;
  for (let k = 0; k < 200; k++) {
    using p = loadProgram({ type: 'SOCKET_FILTER', insns: [ret, exit] });
    p.testRun({ data: new Uint8Array(64) });
    using m = createMap({ type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 4 });
    m.update(new Uint8Array(4), new Uint8Array(4));
    m.lookup(new Uint8Array([1, 2, 3, 4]));
    assert.throws(() => loadProgram({ type: 'SOCKET_FILTER', insns: [exit] }));
    if (k % 50 === 0) peak = Math.max(peak, openFds());
  }
  // Handles kept open grow the count, so the probe above does see leaks.
  const held = Array.from({ length: 20 }, () =>
    createMap({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 }),
  );
  assert.equal(openFds(), before + 20);
  for (const m of held) m.close();
  assert.equal(openFds(), before);
  assert.ok(peak <= before + 2, `peak ${peak} vs ${before}`);
});

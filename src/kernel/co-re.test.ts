// CO-RE against the running kernel: xdp_core.o describes `struct iphdr` and `enum xdp_action`
// wrongly on purpose; loadKernel relocates it against /sys/kernel/btf/vmlinux, the kernel's
// verifier accepts it (the guarded poisoned read is dead code), and a test run reads the packet
// right and returns XDP_PASS. A reachable poisoned instruction is a VerifierError that says so.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseBtf } from '../btf/parse.js';
import { loadCollectionSpec } from '../elf/index.js';
import { VerifierError } from '../errors.js';
import { CORE_POISON_HELPER } from '../program/index.js';
import { bpfAvailability } from './available.js';
import { kernelBtf, VMLINUX_BTF } from './co-re.js';
import { loadKernel } from './collection.js';
import { packet } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = !avail.ok ? avail.reason : !existsSync(VMLINUX_BTF) ? `${VMLINUX_BTF} is missing` : false;
const root = new URL('../../../', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`test/fixtures/core/${name}`, root)));
const u32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
const XDP_PASS = 2;

test('a CO-RE XDP program relocated against the kernel BTF reads the packet right', { skip }, () => {
  using c = loadKernel(loadCollectionSpec(fixture('xdp_core.o')));
  const r = c.program('xdp_core').run({ data: packet('ipv4_tcp_syn') });
  assert.equal(r.retval, XDP_PASS); // bpf_core_enum_value(enum xdp_action___local, XDP_PASS___local): 12 -> 2
  const v = (name: string) => u32(c.readVariable(name));
  assert.equal(v('pass_value'), XDP_PASS);
  assert.equal(v('daddr_off'), 16); // local 20
  assert.equal(v('iphdr_size'), 20); // local 32
  assert.equal(v('has_frag_off'), 1);
  assert.equal(v('has_bogus'), 0);
  assert.equal(v('daddr'), 0x640200c0); // 192.0.2.100, read little-endian from offset 14 + 16
  assert.deepEqual([v('ihl'), v('version')], [5, 4]);
  assert.equal(v('bogus'), 0);
  // The loaded spec is the relocated one; the guarded read of `bogus` was poisoned, and noted.
  assert.ok(c.spec.programs.every((p) => p.coreRelocations === undefined));
  assert.ok(c.program('xdp_core').spec.instructions.some((i) => i.imm === CORE_POISON_HELPER));
  assert.equal(c.notes.length, 1);
  assert.match(
    c.notes[0]!,
    /program xdp_core: CO-RE relocation #19 <byte_off> \[\d+\] struct iphdr___local\.bogus .*poisoned/,
  );
});

test('targetBtf replaces the kernel BTF: against its own BTF the program keeps its local view', {
  skip,
}, () => {
  const spec = loadCollectionSpec(fixture('xdp_core.o'));
  using c = loadKernel(spec, { targetBtf: spec.btf! });
  assert.equal(c.program('xdp_core').run({ data: packet('ipv4_tcp_syn') }).retval, 12);
  assert.equal(u32(c.readVariable('daddr_off')), 20);
  assert.deepEqual(c.notes, []);
});

test('a reachable poisoned instruction: the verifier refuses it and the error names the relocation', {
  skip,
}, () => {
  // signed_resize reads a short that became an int in target.btf: libbpf poisons the load.
  const spec = loadCollectionSpec(fixture('core.o'));
  const only = { ...spec, programs: spec.programs.filter((p) => p.name === 'signed_resize') };
  assert.throws(
    () => loadKernel(only, { targetBtf: parseBtf(fixture('target.btf')) }),
    (e: unknown) =>
      e instanceof VerifierError &&
      e.log.includes(`${CORE_POISON_HELPER}`) &&
      /a failed CO-RE relocation was reached: program signed_resize: CO-RE relocation #0 <byte_off> \[\d+\] struct sample\.s/.test(
        e.message,
      ),
  );
});

test('the kernel BTF is read once and has the types the fixture relies on', { skip }, () => {
  const btf = kernelBtf();
  assert.equal(kernelBtf(), btf);
  assert.ok(btf.types.some((t) => t.kind === 'struct' && t.name === 'iphdr'));
});

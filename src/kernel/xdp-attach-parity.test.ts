// XDP programs for devmap and cpumap entries (expected attach type BPF_XDP_DEVMAP /
// BPF_XDP_CPUMAP) on both backends: the section names give the attach type, both verifiers
// accept egress_ifindex in devmap programs only, and both refuse to test-run such programs
// (bpf_prog_test_run_xdp's EINVAL). The VM side loads verified.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { assemble } from '../asm/index.js';
import { BpfError, VerifierError } from '../errors.js';
import type { CollectionSpec, ProgramSpec } from '../program/index.js';
import { Errno } from '../uapi/index.js';
import { findSectionDef } from '../uapi/sections.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { exampleObjects, exampleSpec } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

/** A one-program object in section `section` (its type and attach type as the ELF loader gives them). */
function object(section: string, text: string): CollectionSpec {
  const d = findSectionDef(section)!.def;
  const program: ProgramSpec = {
    name: 'p',
    sectionName: section,
    type: d.progType,
    ...(d.attachType === undefined ? {} : { attachType: d.attachType }),
    flags: d.flags,
    instructions: assemble(text),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [], variables: [], license: 'GPL' };
}

const EGRESS = 'r0 = *(u32 *)(r1 + 20)\nexit';
const frame = { data: new Uint8Array(64) };

/** What a backend does with `spec`: refused by its verifier (the message), or loaded and test-run (the errno). */
function outcome(loadIt: () => { run(): void; close(): void }): string {
  let c: { run(): void; close(): void };
  try {
    c = loadIt();
  } catch (e) {
    if (e instanceof VerifierError)
      return `refused: ${/invalid bpf_context access off=\d+ size=\d+/.exec(e.log)?.[0]}`;
    throw e;
  }
  try {
    c.run();
    return 'ran';
  } catch (e) {
    if (e instanceof BpfError) return `test run errno ${e.errno}`;
    throw e;
  } finally {
    c.close();
  }
}

const onKernel = (spec: CollectionSpec) =>
  outcome(() => {
    const c = loadKernel(spec);
    return { run: () => c.programs.get('p')!.run(frame), close: () => c.close() };
  });
const onVm = (spec: CollectionSpec) =>
  outcome(() => {
    const c = load(spec);
    return { run: () => c.program('p').run(frame), close: () => c.close() };
  });

test('devmap and cpumap programs: verdicts and test runs agree with the kernel', { skip }, () => {
  const cases: [string, string, string][] = [
    ['xdp/devmap', EGRESS, `test run errno ${Errno.EINVAL}`],
    ['xdp/cpumap', EGRESS, 'refused: invalid bpf_context access off=20 size=4'],
    ['xdp', EGRESS, 'refused: invalid bpf_context access off=20 size=4'],
    ['xdp/cpumap', 'r0 = *(u32 *)(r1 + 12)\nexit', `test run errno ${Errno.EINVAL}`],
    ['xdp.frags/devmap', EGRESS, `test run errno ${Errno.EINVAL}`],
    ['xdp', 'r0 = *(u32 *)(r1 + 12)\nexit', 'ran'],
  ];
  for (const [section, text, expected] of cases) {
    const spec = object(section, text);
    const kernel = onKernel(spec);
    assert.equal(kernel, expected, `${section}: the kernel`);
    assert.equal(onVm(spec), kernel, `${section}: the VM`);
  }
});

test('the example cpumap program loads verified in the VM with its attach type, as in the kernel', {
  skip,
}, () => {
  const file = exampleObjects().find((f) => f.startsWith('xdp_cpu_handoff'))!;
  const spec = exampleSpec(file);
  const cpumap = spec.programs.find((p) => p.sectionName === 'xdp/cpumap')!;
  assert.equal(cpumap.attachType, 'XDP_CPUMAP');
  loadKernel(spec).close();
  load(spec).close();
});

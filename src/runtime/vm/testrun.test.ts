// The VM's BPF_PROG_TEST_RUN against the kernel's on the edge cases: frame sizes per program
// type, truncated IP headers, ctx_in contents (xdp_md and __sk_buff), ctx_out, ENOSPC,
// metadata, the XDP adjust helpers' limits, multi-buffer frames, and every readable __sk_buff
// field. Each case runs the same program on both backends and compares results or errnos.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../../test/engines.js';
import { assemble } from '../../asm/index.js';
import { BpfError, VerifierError } from '../../errors.js';
import { bpfAvailability } from '../../kernel/available.js';
import { haveHelper } from '../../kernel/features.js';
import { loadProgram } from '../../kernel/program.js';
import type { CollectionSpec, ProgramSpec } from '../../program/index.js';
import { ctxAccessProblem, SK_BUFF } from '../../uapi/context.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { TestRunInput } from '../backend.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

type Outcome = { retval: number; data: string; ctx?: string } | { errno: number };

function specOf(type: ProgTypeName, text: string, flags = 0): CollectionSpec {
  const program: ProgramSpec = {
    name: 'p',
    sectionName: 'test',
    type,
    flags,
    instructions: assemble(text),
    license: 'GPL',
    funcInfo: [],
    lineInfo: [],
  };
  return { programs: [program], maps: [], variables: [], license: 'GPL' };
}

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

function outcome(f: () => { retval: number; data: Uint8Array; ctx?: Uint8Array | undefined }): Outcome {
  try {
    const r = f();
    const o: Outcome = { retval: r.retval, data: hex(r.data)! };
    return r.ctx === undefined ? o : { ...o, ctx: hex(r.ctx)! };
  } catch (e) {
    if (e instanceof BpfError) return { errno: e.errno };
    throw e;
  }
}

/** Runs `text` as `type` on the kernel and on the VM with each input; asserts equal outcomes. */
function same(type: ProgTypeName, text: string, inputs: readonly TestRunInput[], flags = 0): void {
  const kernel = loadProgram({ type, insns: assemble(text), flags });
  using vm = load(specOf(type, text, flags));
  try {
    for (const input of inputs) {
      const k = outcome(() => kernel.testRun(input));
      const v = outcome(() => vm.program('p').run(input));
      const what = `${type} ${text.replace(/\n/g, '; ')} with ${JSON.stringify({ ...input, data: input.data?.length, ctx: hex(input.ctx) })}`;
      assert.deepEqual(v, k, what);
    }
  } finally {
    kernel.close();
  }
}

function frame(type: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  b[12] = type >> 8;
  b[13] = type & 0xff;
  return b;
}
const md = (...words: number[]) => {
  const b = new Uint8Array(24);
  words.forEach((w, i) => {
    new DataView(b.buffer).setUint32(i * 4, w, true);
  });
  return b;
};

const SIZES = [
  0, 10, 13, 14, 15, 33, 34, 53, 54, 60, 1514, 3519, 3520, 3521, 3712, 3713, 4000, 8000, 69632, 73828,
];
const PASS = 'r0 = 2\nexit';

test('frame sizes, truncated IP headers, flags and cpu: the VM refuses what the kernel refuses', {
  skip,
}, () => {
  for (const type of ['XDP', 'SCHED_CLS', 'SOCKET_FILTER'] as const) {
    const inputs: TestRunInput[] = [];
    for (const n of SIZES)
      for (const eth of [0x0800, 0x86dd, 0x0806, 0x8100]) inputs.push({ data: frame(eth, n) });
    inputs.push({}, { data: frame(0x806, 60), cpu: 1 }, { data: frame(0x806, 60), flags: 1 });
    inputs.push(
      { data: frame(0x806, 60), flags: 4 },
      { data: frame(0x806, 60), repeat: 0 },
      { data: frame(0x806, 60), repeat: 7 },
    );
    same(type, PASS, inputs);
  }
});

test('data_size_out: ENOSPC when too small, exact size fits', { skip }, () => {
  for (const type of ['XDP', 'SCHED_CLS', 'SOCKET_FILTER'] as const) {
    same(
      type,
      PASS,
      [59, 60, 61, 1].map((dataSizeOut) => ({ data: frame(0x806, 60), dataSizeOut })),
    );
  }
});

test('xdp_md ctx_in: data/data_end/meta, ifindex and queue, tail bytes; ctx_out', { skip }, () => {
  const data = frame(0x806, 60);
  const ctxs = [
    md(0, 60),
    md(0, 0),
    md(0, 14),
    md(0, 59),
    md(0, 61),
    md(4, 60),
    md(8, 60),
    md(32, 60),
    md(216, 60),
    md(220, 280),
    md(2, 60),
    md(8, 4),
    md(0, 60, 4),
    md(0, 60, 0, 1),
    md(0, 60, 0, 1, 1),
    md(0, 60, 0, 0, 1),
    md(0, 60, 0, 9999),
    md(0, 60, 0, 0, 0, 1),
    md(0, 60).slice(0, 8),
  ];
  const inputs: TestRunInput[] = ctxs.map((ctx) => ({ data, ctx }));
  const long = new Uint8Array(28);
  long[4] = 60;
  inputs.push({ data, ctx: long }, { data, ctx: Uint8Array.from(long, (b, i) => (i === 27 ? 1 : b)) });
  inputs.push(
    { data, ctxSizeOut: 24 },
    { data, ctx: md(0, 60), ctxSizeOut: 20 },
    { data, ctx: md(0, 60), ctxSizeOut: 32 },
  );
  inputs.push({ data: frame(0x806, 4000), ctx: md(0, 3000) }, { data: frame(0x806, 316), ctx: md(216, 316) });
  // The program reports the linear length and the metadata length.
  same('XDP', 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = r3\nr0 -= r2\nexit', inputs);
  same('XDP', 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 8)\nr0 = r2\nr0 -= r3\nexit', inputs);
  same('XDP', 'r0 = *(u32 *)(r1 + 12)\nr2 = *(u32 *)(r1 + 16)\nr2 <<= 16\nr0 |= r2\nexit', inputs);
});

test('XDP adjust helpers: head, meta and tail limits, with and without metadata', { skip }, (t) => {
  const inputs: TestRunInput[] = [
    { data: frame(0x806, 60), ctx: md(0, 60) },
    { data: frame(0x806, 68), ctx: md(8, 68) },
    { data: frame(0x806, 3520) },
  ];
  for (const off of [-216, -217, -200, -4, 0, 4, 46, 47, 3000])
    same('XDP', `r2 = ${off}\ncall 44\nexit`, inputs);
  // bpf_xdp_adjust_meta: compared only where the running kernel offers it (some 6.18 builds do not).
  const meta = haveHelper('XDP', 54);
  if (meta.ok)
    for (const off of [-216, -212, -36, -32, -4, -2, 4, 8]) same('XDP', `r2 = ${off}\ncall 54\nexit`, inputs);
  else t.diagnostic(`bpf_xdp_adjust_meta not compared: ${meta.reason}`);
  for (const off of [-46, -47, -3506, 100, 3460, 3461, 3468, -3000])
    same('XDP', `r2 = ${off}\ncall 65\nexit`, inputs);
});

test('multi-buffer XDP: buffer length, loads across fragments, tail growth and shrink', { skip }, () => {
  const inputs: TestRunInput[] = [4000, 8000, 3521].map((n) => ({ data: frame(0x806, n) }));
  inputs.push({ data: frame(0x806, 200), ctx: md(0, 100) }, { data: frame(0x806, 200), ctx: md(0, 0) });
  same('XDP', 'call 188\nexit', inputs, 32);
  for (const off of [-100, -4000, -7986, -7987, 96, 1000, 4096])
    same('XDP', `r2 = ${off}\ncall 65\nexit`, inputs, 32);
  // xdp_load_bytes(ctx, off, fp-8, 8) then r0 = the loaded u64's low word; store writes it back 16 bytes later.
  for (const off of [0, 3516, 3520, 7990, 7992, 70000]) {
    same(
      'XDP',
      `r6 = r1\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = 8\ncall 189\nif r0 != 0 goto +7\nr1 = r6\nr2 = ${off + 16}\nr3 = r10\nr3 += -8\nr4 = 8\ncall 190\nr0 = *(u32 *)(r10 - 8)\nexit`,
      inputs,
      32,
    );
  }
});

test('__sk_buff ctx_in: settable fields, refusals and ctx_out', { skip }, () => {
  const data = frame(0x800, 60);
  const sk = (set: [string, number][]) => {
    const b = new Uint8Array(192);
    for (const [name, v] of set)
      new DataView(b.buffer).setUint32(SK_BUFF.find((f) => f.name === name)!.offset, v, true);
    return b;
  };
  const ctxs = [
    sk([]),
    sk([
      ['mark', 7],
      ['priority', 3],
      ['cb', 0xabcd],
    ]),
    sk([['len', 1]]),
    sk([['ifindex', 1]]),
    sk([['ifindex', 9999]]),
    sk([['ingress_ifindex', 5]]),
    sk([['wire_len', 100]]),
    sk([['wire_len', 59]]),
    sk([['gso_segs', 70000]]),
    sk([
      ['gso_size', 1400],
      ['gso_segs', 3],
    ]),
    sk([['tc_index', 1]]),
    sk([['hash', 1]]),
    sk([['protocol', 8]]),
  ];
  for (const type of ['SCHED_CLS', 'SOCKET_FILTER'] as const) {
    same(type, PASS, [
      ...ctxs.map((ctx) => ({ data, ctx })),
      { data, ctxSizeOut: 192 },
      { data, ctx: sk([]), ctxSizeOut: 100 },
    ]);
  }
  // A TC program's writes to mark, priority and cb show in ctx_out.
  same(
    'SCHED_CLS',
    'r2 = 77\n*(u32 *)(r1 + 8) = r2\n*(u32 *)(r1 + 32) = r2\n*(u32 *)(r1 + 52) = r2\nr0 = 0\nexit',
    [{ data, ctx: sk([]) }],
  );
});

test('every readable __sk_buff u32 field holds what the kernel gives the program', { skip }, () => {
  const frames = [
    frame(0x0800, 60),
    frame(0x86dd, 80),
    frame(0x0806, 42),
    frame(0x0100, 60),
    frame(0x8100, 64),
  ];
  frames[1]!.fill(0xff, 0, 6); // broadcast
  frames[2]!.fill(0, 0, 6); // to the loopback's address
  frames[3]![0] = 0x01; // multicast
  for (const type of ['SCHED_CLS', 'SOCKET_FILTER'] as const) {
    for (const f of SK_BUFF) {
      if (f.size !== 4 || ctxAccessProblem(type, f.offset, 4, false) !== undefined) continue;
      if (f.name === 'data' || f.name === 'data_end' || f.name === 'data_meta') continue; // addresses differ
      same(
        type,
        `r0 = *(u32 *)(r1 + ${f.offset})\nexit`,
        frames.map((data) => ({ data })),
      );
    }
    // data_end - data is the length the program may touch directly.
    if (type === 'SCHED_CLS')
      same(
        type,
        'r2 = *(u32 *)(r1 + 76)\nr0 = *(u32 *)(r1 + 80)\nr0 -= r2\nexit',
        frames.map((data) => ({ data })),
      );
  }
});

test('context access rules match the kernel verifier for every offset and size', { skip }, () => {
  const checks: [ProgTypeName, number, number, boolean][] = [];
  for (const type of ['XDP', 'SCHED_CLS', 'SOCKET_FILTER'] as const) {
    const end = type === 'XDP' ? 28 : 196;
    for (const size of [1, 2, 4, 8]) {
      for (let off = 0; off < end; off += size)
        for (const write of [false, true]) checks.push([type, off, size, write]);
    }
  }
  const mismatches: string[] = [];
  for (const [type, off, size, write] of checks) {
    const w = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' }[size];
    const text = write
      ? `r2 = 0\n*(${w} *)(r1 + ${off}) = r2\nr0 = 0\nexit`
      : `r0 = *(${w} *)(r1 + ${off})\nr0 = 0\nexit`;
    let kernelOk = true;
    try {
      loadProgram({ type, insns: assemble(text) }).close();
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      kernelOk = false;
    }
    let vmOk = true;
    try {
      load(specOf(type, text)).close();
    } catch (e) {
      if (!(e instanceof VerifierError)) throw e;
      vmOk = false;
    }
    if (kernelOk !== vmOk)
      mismatches.push(
        `${type} ${write ? 'write' : 'read'} off=${off} size=${size}: kernel ${kernelOk}, vm ${vmOk}`,
      );
  }
  assert.deepEqual(mismatches, []);
});

// Backend parity: every example object (v3 and v4) is loaded into the VM (`load`, interpreter) and
// into the kernel (loadKernel), and every entry point runs on every crafted packet in both —
// with the packet alone and with each ctx_in variant — comparing retval, data_out, ctx_out (or the
// errno both refuse with) byte for byte, then every map after each packet. The thread is pinned to
// one CPU and the VM told to use that CPU, so per-CPU values compare exactly; clock-dependent bytes
// are masked per map (test/parity/masks.ts) or taken out by configuration (test/parity/config.ts).
// Objects the VM refuses at load are skipped by name and covered as soon as they load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnderTest as load } from '../../test/engines.js';
import { missingHelper } from '../../test/kernel-helpers.js';
import { currentCpu, pinForFile } from '../../test/parity/affinity.js';
import { configure } from '../../test/parity/config.js';
import { ipv4Addresses } from '../../test/parity/inputs.js';
import { MASKS } from '../../test/parity/masks.js';
import { compareOutcomes, type ObjectCounts, objectParity } from '../../test/parity/object-parity.js';
import { kernelSide, vmSide } from '../../test/parity/sides.js';
import { compareSnapshots, type MapSnapshot } from '../../test/parity/snapshot.js';
import { NotSupportedError } from '../errors.js';
import type { MapSpec } from '../program/index.js';
import { Errno } from '../uapi/index.js';
import { bpfAvailability } from './available.js';
import { loadKernel } from './collection.js';
import { possibleCpuCount } from './map.js';
import { exampleObjects, exampleSpec, packets } from './test-fixtures.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

const objects = exampleObjects();
const pkts = packets();
const probeValues = ipv4Addresses(pkts.map((p) => p.bytes));
const objectName = (file: string) => file.replace(/\.v\d\.o$/, '');
const cpus = avail.ok ? possibleCpuCount() : 2;
const pin = pinForFile(cpus, avail.ok);

const emptyCounts = (): ObjectCounts => ({
  entryPoints: 0,
  runs: 0,
  refusedAlike: 0,
  ctxCompared: 0,
  mapSnapshots: 0,
  mapsWalked: 0,
  mapsUnwalkable: [],
});

test('VM and kernel agree on every example, entry point, crafted packet and map', { skip }, async (t) => {
  assert.equal(currentCpu(), pin.cpu, `thread pinned to CPU ${pin.cpu}`);
  const total = emptyCounts();
  const skipped = new Map<string, string[]>();
  let compared = 0;
  for (const file of objects) {
    const object = objectName(file);
    await t.test(file, (st) => {
      const spec = configure(exampleSpec(file), object);
      let vm: ReturnType<typeof load>;
      try {
        vm = load(spec, { cpus, cpu: pin.cpu });
      } catch (e) {
        if (!(e instanceof NotSupportedError)) throw e;
        const why = /helper (bpf_\w+)/.exec(e.message)?.[1] ?? e.message;
        skipped.set(why, [...(skipped.get(why) ?? []), file]);
        st.skip(`the VM refuses it at load: ${e.message}`);
        return;
      }
      using vmc = vm;
      const lacking = missingHelper(spec);
      if (lacking !== undefined) {
        skipped.set(lacking, [...(skipped.get(lacking) ?? []), file]);
        st.skip(lacking);
        return;
      }
      using kc = loadKernel(spec);
      const r = objectParity({
        file,
        vm: vmSide(vmc),
        kernel: kernelSide(kc),
        packets: pkts,
        masks: MASKS[object] ?? {},
        probeValues,
      });
      compared++;
      for (const k of [
        'entryPoints',
        'runs',
        'refusedAlike',
        'ctxCompared',
        'mapSnapshots',
        'mapsWalked',
      ] as const)
        total[k] += r.counts[k];
      total.mapsUnwalkable.push(...r.counts.mapsUnwalkable.map((m) => `${file}:${m}`));
      assert.equal(currentCpu(), pin.cpu, 'still on the pinned CPU');
      assert.deepEqual(r.mismatches, [], `${r.mismatches.length} difference(s):\n${r.mismatches.join('\n')}`);
    });
  }
  const nSkipped = [...skipped.values()].reduce((n, f) => n + f.length, 0);
  const skips = [...skipped].map(([why, files]) => `${why} (${files.length})`).join(', ');
  t.diagnostic(
    `parity: ${compared} of ${objects.length} objects, ${total.entryPoints} entry points, ${pkts.length} packets, ` +
      `${total.runs} runs compared (${total.refusedAlike} refused alike, ${total.ctxCompared} with ctx_out), ` +
      `${total.mapSnapshots} map snapshots (${total.mapsWalked} maps walked, ${total.mapsUnwalkable.length} ` +
      `compared by errno/head/probes only), CPU ${pin.cpu} of ${cpus}; skipped ${nSkipped}: ${skips === '' ? 'none' : skips}`,
  );
  assert.equal(compared + nSkipped, objects.length);
});

// The masks must hide all nondeterminism, also in objects the VM cannot load yet: two kernel
// loads of one object, run one after the other, agree under them — and differ without them.
test('the masks are sufficient and necessary: the kernel against itself', { skip }, async (t) => {
  for (const file of objects) {
    const object = objectName(file);
    await t.test(file, (st) => {
      const spec = configure(exampleSpec(file), object);
      const lacking = missingHelper(spec);
      if (lacking !== undefined) {
        st.skip(lacking);
        return;
      }
      const masks = MASKS[object] ?? {};
      const run = (m: typeof masks) => {
        using a = loadKernel(spec);
        using b = loadKernel(spec);
        return objectParity({
          file,
          vm: kernelSide(a),
          kernel: kernelSide(b),
          packets: pkts,
          masks: m,
          probeValues,
        }).mismatches;
      };
      const masked = run(masks);
      assert.deepEqual(masked, [], `the kernel differs from itself under the masks:\n${masked.join('\n')}`);
      for (const map of Object.keys(masks)) {
        const unmasked = run({ ...masks, [map]: { ranges: [], why: '' } });
        assert.ok(
          unmasked.some((m) => m.includes(`map ${map} `)),
          `mask of ${object}:${map} hides nothing that varies (${masks[map]!.why})`,
        );
      }
    });
  }
});

// The comparison itself must be able to fail: hand-made outcomes and snapshots that differ.
test('parity comparison reports the first differing field and byte', () => {
  const run = (retval: number, data: number[], ctx?: number[]) => ({
    result: {
      retval,
      data: new Uint8Array(data),
      duration: 0,
      ...(ctx === undefined ? {} : { ctx: new Uint8Array(ctx) }),
    },
  });
  assert.equal(compareOutcomes(run(2, [1, 2]), run(2, [1, 2])), undefined);
  assert.match(compareOutcomes(run(1, [1]), run(2, [1]))!, /^retval: vm 1, kernel 2/);
  assert.match(
    compareOutcomes(run(2, [1, 2, 3]), run(2, [1, 9, 3]))!,
    /^data_out byte 1 of 3: vm 0x02, kernel 0x09/,
  );
  assert.match(
    compareOutcomes(run(2, [1, 2]), run(2, [1, 2, 3]))!,
    /byte 2 \(vm 2 bytes, kernel 3\): vm end, kernel 0x03/,
  );
  assert.match(compareOutcomes(run(2, [1], [0, 0]), run(2, [1], [0, 7]))!, /^ctx_out byte 1/);
  assert.match(compareOutcomes(run(2, [1], [0]), run(2, [1]))!, /^ctx_out: vm given, kernel none/);
  assert.equal(compareOutcomes({ errno: Errno.EINVAL }, { errno: Errno.EINVAL }), undefined);
  assert.match(compareOutcomes({ errno: Errno.EINVAL }, run(2, []))!, /vm refused EINVAL, kernel ran/);
  assert.match(
    compareOutcomes({ errno: Errno.EINVAL }, { errno: Errno.ENOSPC })!,
    /refused EINVAL, kernel refused ENOSPC/,
  );
  const spec = {
    name: 'm',
    type: 'HASH',
    keySize: 1,
    valueSize: 1,
    maxEntries: 4,
    flags: 0,
  } as unknown as MapSpec;
  const snap = (entries: [string, string][]): MapSnapshot => ({
    walk: 'ok',
    keys: entries.map(([k]) => k),
    values: new Map(entries),
  });
  const ab = snap([
    ['01', 'aa'],
    ['02', 'bb'],
  ]);
  const ba = snap([
    ['02', 'bb'],
    ['01', 'aa'],
  ]);
  assert.equal(compareSnapshots(spec, ab, ba), undefined);
  assert.match(
    compareSnapshots(spec, snap([['01', 'aa']]), snap([['02', 'aa']]))!,
    /only in vm: \[01\], only in kernel: \[02\]/,
  );
  assert.match(
    compareSnapshots(spec, snap([['01', 'aa--']]), snap([['01', 'ab--']]))!,
    /key 01: byte 0 of 2: vm 0xaa, kernel 0xab/,
  );
  assert.match(compareSnapshots({ ...spec, type: 'ARRAY' }, ab, ba)!, /key #0 of the walk/);
  assert.match(compareSnapshots(spec, { ...ab, walk: 'EINVAL' }, ab)!, /walk: vm EINVAL, kernel ok/);
});

// libbpf's section table: names to program and attach types, with libbpf's matching rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttachType } from './attach-types.js';
import { ProgType } from './prog-types.js';
import {
  BPF_F_SLEEPABLE,
  BPF_F_XDP_HAS_FRAGS,
  findSectionDef,
  SECTION_DEFS,
  sectionMatches,
} from './sections.js';

test('matching follows libbpf: exact, prefix+ and prefix/', () => {
  assert.ok(sectionMatches('xdp', 'xdp'));
  assert.ok(!sectionMatches('xdp', 'xdp/foo'));
  assert.ok(sectionMatches('kprobe+', 'kprobe'));
  assert.ok(sectionMatches('kprobe+', 'kprobe/do_unlinkat'));
  assert.ok(!sectionMatches('kprobe+', 'kprobex'));
  assert.ok(sectionMatches('tc/', 'tc/x'));
  assert.ok(!sectionMatches('tc/', 'tc'));
});

test('well-known sections map to libbpf program and attach types', () => {
  const cases: [string, string, string | undefined, number, string | undefined][] = [
    ['xdp', 'XDP', 'XDP', 0, undefined],
    ['xdp.frags', 'XDP', 'XDP', BPF_F_XDP_HAS_FRAGS, undefined],
    ['xdp/devmap', 'XDP', 'XDP_DEVMAP', 0, undefined],
    ['tc', 'SCHED_CLS', undefined, 0, undefined],
    ['classifier', 'SCHED_CLS', undefined, 0, undefined],
    ['tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS', 0, undefined],
    ['tcx/egress', 'SCHED_CLS', 'TCX_EGRESS', 0, undefined],
    ['socket', 'SOCKET_FILTER', undefined, 0, undefined],
    ['kprobe/do_unlinkat', 'KPROBE', undefined, 0, 'do_unlinkat'],
    ['kretprobe/do_unlinkat', 'KPROBE', undefined, 0, 'do_unlinkat'],
    ['kprobe.multi/tcp_*', 'KPROBE', 'TRACE_KPROBE_MULTI', 0, 'tcp_*'],
    ['tracepoint/syscalls/sys_enter_openat', 'TRACEPOINT', undefined, 0, 'syscalls/sys_enter_openat'],
    ['tp/sched/sched_switch', 'TRACEPOINT', undefined, 0, 'sched/sched_switch'],
    ['fentry/do_sys_open', 'TRACING', 'TRACE_FENTRY', 0, 'do_sys_open'],
    ['fentry.s/do_sys_open', 'TRACING', 'TRACE_FENTRY', BPF_F_SLEEPABLE, 'do_sys_open'],
    ['lsm/file_open', 'LSM', 'LSM_MAC', 0, 'file_open'],
    ['cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS', 0, undefined],
    ['sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', 0, undefined],
    ['sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', 0, undefined],
    ['syscall', 'SYSCALL', undefined, BPF_F_SLEEPABLE, undefined],
    ['netfilter', 'NETFILTER', 'NETFILTER', 0, undefined],
  ];
  for (const [sec, type, attach, flags, target] of cases) {
    const m = findSectionDef(sec);
    assert.ok(m, sec);
    assert.equal(m.def.progType, type, sec);
    assert.equal(m.def.attachType, attach, sec);
    assert.equal(m.def.flags, flags, sec);
    assert.equal(m.target, target, sec);
  }
  assert.equal(findSectionDef('xdp_prog'), undefined);
  assert.equal(findSectionDef('.text'), undefined);
});

test('every table entry names real program and attach types, and patterns are unique', () => {
  const seen = new Set<string>();
  for (const d of SECTION_DEFS) {
    assert.ok(d.progType in ProgType, d.pattern);
    if (d.attachType !== undefined) assert.ok(d.attachType in AttachType, d.pattern);
    assert.ok(!seen.has(d.pattern), `duplicate ${d.pattern}`);
    seen.add(d.pattern);
  }
  assert.equal(SECTION_DEFS.length, 99);
});

// The kfunc prototypes of uapi/kfunc-protos.ts against the running kernel's vmlinux BTF, where the
// kernel's verifier reads them: each kfunc is a FUNC tagged `bpf_kfunc`, with the parameters the
// table classifies (a pointer to the named context struct, to a struct followed by its `__sz`
// length, to a kernel object) and the return type. The flags (KF_ACQUIRE, KF_RET_NULL,
// KF_RELEASE) are not in BTF: test/verifier/kfuncs.vcase asks the kernel's verifier about them.
// The table names exactly the kfuncs the VM implements.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Btf } from '../btf/index.js';
import { resolveType, typeById } from '../btf/query.js';
import { bpfAvailability } from '../kernel/available.js';
import { kernelBtf } from '../kernel/co-re.js';
import { RUNTIME_KFUNCS } from '../runtime/helpers/index.js';
import { KFUNC_PROTOS, type KfuncParam } from '../uapi/kfunc-protos.js';

const avail = bpfAvailability();
const skip = avail.ok ? false : avail.reason;

test('the verifier knows a prototype for every kfunc the VM implements, and no other', () => {
  assert.deepEqual([...KFUNC_PROTOS.keys()].sort(), [...RUNTIME_KFUNCS.keys()].sort());
});

/** What a parameter or return type is, in the table's terms. */
function describe(btf: Btf, type: number): string {
  const t = resolveType(btf, type);
  if (t.kind === 'void') return 'void';
  if (t.kind === 'int') return 'scalar';
  if (t.kind !== 'ptr') return t.kind;
  const to = resolveType(btf, t.type);
  return `pointer to ${to.kind} ${to.name}`;
}

function expected(p: KfuncParam): string {
  switch (p.kind) {
    case 'size':
    case 'scalar':
    case 'const-size':
      return 'scalar';
    case 'dynptr':
    case 'uninit-dynptr':
      return 'pointer to struct bpf_dynptr';
    case 'buffer-or-null':
      return 'pointer to void ';
    case 'ctx':
    case 'mem':
    case 'object':
      return `pointer to struct ${p.struct}`;
  }
}

/** The parameter name suffix the kernel's verifier reads the kind from (is_kfunc_arg_*), if any. */
const SUFFIX: Partial<Record<KfuncParam['kind'], RegExp>> = {
  size: /__sz$/,
  'const-size': /__szk$/,
  'uninit-dynptr': /__uninit$/,
  'buffer-or-null': /__(opt|nullable)$/,
};

test('every kfunc prototype matches vmlinux BTF', { skip }, () => {
  const btf = kernelBtf();
  const tagged = new Set<number>();
  for (const t of btf.types) if (t?.kind === 'decl_tag' && t.name === 'bpf_kfunc') tagged.add(t.type);
  for (const [name, proto] of KFUNC_PROTOS) {
    const id = btf.types.findIndex((t) => t?.kind === 'func' && t.name === name);
    assert.ok(id > 0, `${name}: not a function of this kernel`);
    assert.ok(tagged.has(id), `${name}: not tagged bpf_kfunc`);
    const fn = typeById(btf, id) as { type: number };
    const fp = typeById(btf, fn.type);
    assert.equal(fp.kind, 'func_proto');
    if (fp.kind !== 'func_proto') continue;
    assert.equal(fp.params.length, proto.params.length, `${name}: parameter count`);
    proto.params.forEach((p, k) => {
      const param = fp.params[k]!;
      assert.equal(describe(btf, param.type), expected(p), `${name} parameter ${k} (${param.name})`);
      // A memory argument's length is the next parameter, named with the __sz suffix.
      if (p.kind === 'mem') assert.match(fp.params[k + 1]!.name, /__sz$/, `${name} parameter ${k + 1}`);
      const suffix = SUFFIX[p.kind];
      if (suffix !== undefined) assert.match(param.name, suffix, `${name} parameter ${k}`);
    });
    const r = proto.ret;
    const ret =
      r.kind === 'void'
        ? 'void'
        : r.kind === 'integer'
          ? 'scalar'
          : r.kind === 'slice'
            ? 'pointer to void '
            : `pointer to struct ${r.struct}`;
    assert.equal(describe(btf, fp.returnType), ret, `${name}: return type`);
  }
});

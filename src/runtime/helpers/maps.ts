// Map helpers: lookup/update/delete (ids 1-3) and push/pop/peek (87-89). Keys and values are
// read from the address space with bounds checks; the map types decide the errno
// (runtime/maps/). Lookups return the value's address in the space, 0 for NULL.

import type { RuntimeEnv } from '../helper.js';
import { type HelperImpl, mapArg, neg } from './types.js';

const key = (env: RuntimeEnv, r: bigint, size: number) => env.memory.bytes(r, size).slice();

export const mapHelpers: readonly HelperImpl[] = [
  {
    id: 1, // bpf_map_lookup_elem(map, key) -> value or NULL
    fn: (env, r1, r2) => {
      const m = mapArg(env, r1, 1);
      return BigInt(m.lookupAddress(key(env, r2, m.keySize), env.cpu));
    },
  },
  {
    id: 2, // bpf_map_update_elem(map, key, value, flags)
    fn: (env, r1, r2, r3, r4) => {
      const m = mapArg(env, r1, 2);
      const flags = r4 > 0xffffffffn ? 0xffffffff : Number(r4);
      const value = env.memory.bytes(r3, m.valueSize).slice();
      return neg(-m.updateElem(key(env, r2, m.keySize), value, flags, env.cpu));
    },
  },
  {
    id: 3, // bpf_map_delete_elem(map, key)
    fn: (env, r1, r2) => {
      const m = mapArg(env, r1, 3);
      return neg(-m.deleteElem(key(env, r2, m.keySize)));
    },
  },
  {
    id: 87, // bpf_map_push_elem(map, value, flags)
    fn: (env, r1, r2, r3) => {
      const m = mapArg(env, r1, 87);
      const flags = r3 > 0xffffffffn ? 0xffffffff : Number(r3);
      return neg(-m.pushElem(env.memory.bytes(r2, m.valueSize).slice(), flags));
    },
  },
  {
    id: 88, // bpf_map_pop_elem(map, value): copies the element out
    fn: (env, r1, r2) => {
      const m = mapArg(env, r1, 88);
      return neg(-m.popElem(env.memory.bytes(r2, m.valueSize, 'write')));
    },
  },
  {
    id: 89, // bpf_map_peek_elem(map, value): queue/stack copy out; the bloom filter tests `value`
    fn: (env, r1, r2) => {
      const m = mapArg(env, r1, 89);
      const buf = env.memory.bytes(r2, m.valueSize, m.type === 'BLOOM_FILTER' ? 'read' : 'write');
      return neg(-m.peekElem(buf));
    },
  },
];

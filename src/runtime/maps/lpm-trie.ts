// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys `struct bpf_lpm_trie_key_u8 { u32
// prefixlen; u8 data[]; }`, data compared bit by bit from the most significant bit of byte 0
// (network order). The trie has the kernel's shape — real and intermediate nodes, each
// intermediate with two children — so get_next_key walks in the kernel's post-order.
// Values live in a SlotPool. Semantics from the kernel's kernel/bpf/lpm_trie.c.

import { Errno } from '../../uapi/errno.js';
import {
  accessFlagsOk,
  BPF_EXIST,
  BPF_F_ACCESS_MASK,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_NOEXIST,
  KMALLOC_MAX_SIZE,
  round8,
} from '../../uapi/map-flags.js';
import type { AddressSpace, Region } from '../memory.js';
import { BpfMap, keyIndex } from './base.js';
import { SlotPool } from './slots.js';
import type { CreateMapOptions, MapSpecLike } from './types.js';

/** LPM_DATA_SIZE_MAX, LPM_KEY_SIZE_MIN/MAX (sizeof(struct bpf_lpm_trie_key_u8) = 4). */
const LPM_DATA_SIZE_MAX = 256;
const LPM_KEY_SIZE_MIN = 4 + 1;
const LPM_KEY_SIZE_MAX = 4 + LPM_DATA_SIZE_MAX;
/** LPM_VAL_SIZE_MAX: KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - sizeof(struct lpm_trie_node) (40). */
const LPM_VAL_SIZE_MAX = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX - 40;
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** trie_alloc()'s checks: 0 or a positive errno. */
export function checkLpmSpec(spec: MapSpecLike): number {
  const flags = spec.flags ?? 0;
  if (
    spec.maxEntries === 0 ||
    !(flags & BPF_F_NO_PREALLOC) ||
    flags & ~LPM_CREATE_FLAG_MASK ||
    !accessFlagsOk(flags) ||
    spec.keySize < LPM_KEY_SIZE_MIN ||
    spec.keySize > LPM_KEY_SIZE_MAX ||
    spec.valueSize < 1 ||
    spec.valueSize > LPM_VAL_SIZE_MAX
  )
    return Errno.EINVAL;
  return 0;
}

interface TrieNode {
  prefixlen: number;
  /** As the last update gave it, bits past prefixlen included (get_next_key returns them). */
  data: Uint8Array;
  readonly child: [TrieNode | null, TrieNode | null];
  /** LPM_TREE_NODE_FLAG_IM: a branch point with no value of its own. */
  im: boolean;
  /** The value's slot; -1 for intermediate nodes. */
  slot: number;
}

/** A reference to the place a node hangs from (the root or a parent's child pointer). */
interface Link {
  get(): TrieNode | null;
  set(n: TrieNode | null): void;
}

/** extract_bit(): bit `index` of `data`, most significant bit of byte 0 first. */
const bit = (data: Uint8Array, index: number): 0 | 1 =>
  ((data[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;

export class LpmTrieMap extends BpfMap {
  readonly dataSize: number;
  readonly maxPrefixlen: number;
  readonly #pool: SlotPool;
  #root: TrieNode | null = null;
  #entries = 0;
  readonly #rootLink: Link = { get: () => this.#root, set: (n) => (this.#root = n) };

  constructor(space: AddressSpace, spec: MapSpecLike, options?: CreateMapOptions) {
    super(space, spec, options);
    this.dataSize = this.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
    this.#pool = new SlotPool(
      (l, n, stride) => this.allocateStrided(l, n, this.valueSize, stride),
      this.valueSize,
      1,
      this.maxEntries,
    );
  }

  override get regions(): readonly Region[] {
    return this.#pool.regions;
  }

  /** Number of (non-intermediate) entries. */
  get size(): number {
    return this.#entries;
  }

  /** longest_prefix_match(): matching leading bits of node and key, capped at both prefix lengths. */
  #match(node: TrieNode, prefixlen: number, data: Uint8Array): number {
    const limit = Math.min(node.prefixlen, prefixlen);
    let len = 0;
    for (let i = 0; i < this.dataSize; i++) {
      const diff = node.data[i]! ^ data[i]!;
      len += diff === 0 ? 8 : Math.clz32(diff) - 24;
      if (len >= limit) return limit;
      if (diff !== 0) break;
    }
    return len;
  }

  #find(key: Uint8Array): TrieNode | undefined {
    const prefixlen = keyIndex(key);
    const data = key.subarray(4);
    let found: TrieNode | undefined;
    for (let node = this.#root; node !== null; ) {
      const m = this.#match(node, prefixlen, data);
      if (m === this.maxPrefixlen) return node;
      if (m < node.prefixlen) break;
      if (!node.im) found = node;
      node = node.child[bit(data, node.prefixlen)];
    }
    return found;
  }

  override lookupAddress(key: Uint8Array): number {
    const n = this.#find(key);
    return n === undefined ? 0 : this.#pool.address(n.slot);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -Errno.EINVAL;
    const prefixlen = keyIndex(key);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.slice(4);
    let link = this.#rootLink;
    let node = link.get();
    let m = 0;
    while (node !== null) {
      m = this.#match(node, prefixlen, data);
      if (node.prefixlen !== m || node.prefixlen === prefixlen) break;
      const parent: TrieNode = node;
      const b = bit(data, node.prefixlen);
      link = { get: () => parent.child[b], set: (n) => (parent.child[b] = n) };
      node = link.get();
    }
    const fresh = (): TrieNode => ({ prefixlen, data, child: [null, null], im: false, slot: -1 });
    if (node === null) {
      const r = this.#addCheck(flags);
      if (r !== 0) return r;
      link.set(this.#store(fresh(), value));
      return 0;
    }
    if (node.prefixlen === m) {
      // Same prefix: replace the value, or give an intermediate node one. The kernel swaps in
      // a new node built from this key, so the stored key bytes become this key's.
      if (!node.im) {
        if (flags === BPF_NOEXIST) return -Errno.EEXIST;
        this.writeRaw(this.#pool.address(node.slot), value.subarray(0, this.valueSize));
        node.data = data;
        return 0;
      }
      const r = this.#addCheck(flags);
      if (r !== 0) return r;
      node.im = false;
      node.data = data;
      this.#store(node, value);
      return 0;
    }
    const r = this.#addCheck(flags);
    if (r !== 0) return r;
    const added = this.#store(fresh(), value);
    if (m === prefixlen) {
      // The new prefix covers the node: it becomes the node's parent.
      added.child[bit(node.data, m)] = node;
      link.set(added);
      return 0;
    }
    const im: TrieNode = { prefixlen: m, data: node.data.slice(), child: [null, null], im: true, slot: -1 };
    if (bit(data, m)) {
      im.child[0] = node;
      im.child[1] = added;
    } else {
      im.child[0] = added;
      im.child[1] = node;
    }
    link.set(im);
    return 0;
  }

  /** trie_check_add_elem(). */
  #addCheck(flags: number): number {
    if (flags === BPF_EXIST) return -Errno.ENOENT;
    if (this.#entries === this.maxEntries) return -Errno.ENOSPC;
    this.#entries++;
    return 0;
  }

  #store(node: TrieNode, value: Uint8Array): TrieNode {
    node.slot = this.#pool.acquire();
    const a = this.#pool.address(node.slot);
    this.zeroRaw(a, round8(this.valueSize));
    this.writeRaw(a, value.subarray(0, this.valueSize));
    return node;
  }

  override deleteElem(key: Uint8Array): number {
    const prefixlen = keyIndex(key);
    if (prefixlen > this.maxPrefixlen) return -Errno.EINVAL;
    const data = key.subarray(4);
    let trim = this.#rootLink;
    let trim2 = trim;
    let parent: TrieNode | null = null;
    let node = trim.get();
    let m = 0;
    while (node !== null) {
      m = this.#match(node, prefixlen, data);
      if (node.prefixlen !== m || node.prefixlen === prefixlen) break;
      parent = node;
      trim2 = trim;
      const p: TrieNode = node;
      const b = bit(data, node.prefixlen);
      trim = { get: () => p.child[b], set: (n) => (p.child[b] = n) };
      node = trim.get();
    }
    if (node === null || node.prefixlen !== prefixlen || node.prefixlen !== m || node.im)
      return -Errno.ENOENT;
    this.#entries--;
    this.#pool.release(node.slot);
    node.slot = -1;
    const [c0, c1] = node.child;
    if (c0 !== null && c1 !== null) {
      node.im = true;
      return 0;
    }
    if (parent?.im && c0 === null && c1 === null) {
      // Drop the intermediate parent too and hoist its other child.
      trim2.set(parent.child[0] === node ? parent.child[1] : parent.child[0]);
      return 0;
    }
    trim.set(c0 ?? c1);
    return 0;
  }

  protected override sysLookup(key: Uint8Array): Uint8Array | number {
    const n = this.#find(key);
    return n === undefined ? -Errno.ENOENT : this.readRaw(this.#pool.address(n.slot), this.valueSize);
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags);
  }

  /** trie_get_next_key(): post-order, so more specific prefixes come before their covers. */
  protected override sysNextKey(key: Uint8Array | undefined): Uint8Array | number {
    if (this.#root === null) return -Errno.ENOENT;
    let searchRoot: TrieNode | null = this.#root;
    const out = (n: TrieNode): Uint8Array => {
      const k = new Uint8Array(this.keySize);
      new DataView(k.buffer).setUint32(0, n.prefixlen, true);
      k.set(n.data, 4);
      return k;
    };
    const leftmost = (): Uint8Array | number => {
      let next: TrieNode | undefined;
      for (let node = searchRoot; node !== null; ) {
        if (node.im) node = node.child[0];
        else {
          next = node;
          node = node.child[0] ?? next.child[1];
        }
      }
      return next === undefined ? -Errno.ENOENT : out(next);
    };
    if (key === undefined || keyIndex(key) > this.maxPrefixlen) return leftmost();
    const prefixlen = keyIndex(key);
    const data = key.subarray(4);
    const stack: TrieNode[] = [];
    let node: TrieNode | null = this.#root;
    let m = 0;
    while (node !== null) {
      stack.push(node);
      m = this.#match(node, prefixlen, data);
      if (node.prefixlen !== m || node.prefixlen === prefixlen) break;
      node = node.child[bit(data, node.prefixlen)];
    }
    if (node === null || node.prefixlen !== m || node.im) return leftmost();
    let at = stack.length - 1;
    let cur = stack[at]!;
    while (at > 0) {
      const parent = stack[at - 1]!;
      if (parent.child[0] === cur && parent.child[1] !== null) {
        searchRoot = parent.child[1];
        return leftmost();
      }
      if (!parent.im) return out(parent);
      cur = parent;
      at--;
    }
    return -Errno.ENOENT;
  }

  protected override released(): void {
    this.#root = null;
  }
}

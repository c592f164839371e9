// The connection-tracking table the VM's conntrack kfuncs look up (bpf_xdp_ct_lookup,
// bpf_skb_ct_lookup, bpf_ct_release): the embedder fills it (the kernel's would be the netns's
// nf_conntrack table) and may inspect it after runs. An entry matches a tuple in its original
// direction or, swapped, in its reply direction (the kernel's two tuple hashes).

/** One tracked connection, as its original-direction tuple. */
export interface ConntrackEntry {
  /** 4 (IPv4) or 6 (IPv6). */
  readonly family: 4 | 6;
  /** 6 (TCP) or 17 (UDP). */
  readonly protocol: 6 | 17;
  /** Addresses in network byte order (4 or 16 bytes). */
  readonly saddr: Uint8Array;
  readonly daddr: Uint8Array;
  /** Ports in host order. */
  readonly sport: number;
  readonly dport: number;
  /** The conntrack zone (opts->ct_zone_id); default 0. */
  readonly zone?: number;
}

export class ConntrackTable {
  readonly #entries: ConntrackEntry[] = [];
  /** Lookups that found an entry, in order (what a test may inspect after runs). */
  readonly hits: ConntrackEntry[] = [];

  get entries(): readonly ConntrackEntry[] {
    return this.#entries;
  }

  add(entry: ConntrackEntry): void {
    this.#entries.push(entry);
  }

  delete(entry: ConntrackEntry): boolean {
    const k = this.#entries.indexOf(entry);
    if (k >= 0) this.#entries.splice(k, 1);
    return k >= 0;
  }

  /** The entry and direction (0 original, 1 reply) matching a tuple, or undefined. */
  find(
    family: 4 | 6,
    protocol: number,
    saddr: Uint8Array,
    daddr: Uint8Array,
    sport: number,
    dport: number,
    zone: number,
  ): { entry: ConntrackEntry; dir: 0 | 1 } | undefined {
    const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
    for (const e of this.#entries) {
      if (e.family !== family || e.protocol !== protocol || (e.zone ?? 0) !== zone) continue;
      if (same(e.saddr, saddr) && same(e.daddr, daddr) && e.sport === sport && e.dport === dport) {
        this.hits.push(e);
        return { entry: e, dir: 0 };
      }
      if (same(e.saddr, daddr) && same(e.daddr, saddr) && e.sport === dport && e.dport === sport) {
        this.hits.push(e);
        return { entry: e, dir: 1 };
      }
    }
    return undefined;
  }
}

// The bytes of map values that depend on the clock and so cannot agree between two machines that
// run the same program at different moments: for each example object and map, the value byte
// ranges the parity test blanks on both sides, with the reason. Everything else is compared.
// bpf_get_smp_processor_id needs no mask (both backends run on the same pinned CPU), and
// bpf_get_prandom_u32 none either: xdp_sample only decides whether to print to the trace pipe.

export interface ValueMask {
  /** [start, end) byte offsets within one CPU's value. */
  readonly ranges: readonly (readonly [number, number])[];
  readonly why: string;
}

/** object name (without .v3.o/.v4.o) -> map name -> mask. */
export const MASKS: Readonly<Record<string, Readonly<Record<string, ValueMask>>>> = {
  xdp_count_hash: {
    flows: {
      ranges: [[0, 16]],
      why: 'struct flow_val first_ns and last_ns are bpf_ktime_get_ns() values; packets (16..24) is compared',
    },
  },
  xdp_spin_lock: {
    buckets: {
      ranges: [[16, 24]],
      why:
        'struct bucket last_ns is bpf_ktime_get_ns() at the first packet of a source; tokens (8..16) is exact ' +
        'because config.ts sets tokens_per_sec to 0, and the lock word and pad (0..8) are compared too ' +
        '(user-space lookups read the lock as zero)',
    },
  },
};

/** Blanks the masked bytes of a value (every CPU's copy for per-CPU maps) as '--' in its hex. */
export function maskHex(hex: string, mask: ValueMask | undefined, stride: number): string {
  if (mask === undefined) return hex;
  const bytes = hex.match(/../g) ?? [];
  for (let base = 0; base < bytes.length; base += stride) {
    for (const [a, b] of mask.ranges)
      for (let k = a; k < b && base + k < bytes.length; k++) bytes[base + k] = '--';
  }
  return bytes.join('');
}

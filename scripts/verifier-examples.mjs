// The example objects whose first program the verifier scripts time (the example rows of
// bench/verifier.bench.ts), by file name without `.v3.o`.
export const EXAMPLE_PROGRAMS = [
  'xdp_count_hash',
  'xdp_for_each',
  'xdp_bpf2bpf',
  'xdp_ipip',
  'xdp_ringbuf',
  'xdp_lpm_firewall',
  'xdp_reflect',
  'xdp_fib',
];

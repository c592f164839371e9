// The page size the kernel's BPF structures are laid out in (ring buffers, perf rings, XDP
// frames, test-run skbs): PAGE_SIZE of x86-64 and arm64 with 4 KiB pages.
export const PAGE_SIZE = 4096;

// What every program context shares: the struct a program gets in r1 (in the address space)
// and the program type. The concrete contexts (xdp.ts, skb.ts) add their packet models; helpers
// narrow with instanceof. No layouts here (those are spec/context.ts).

import type { CtxKind } from '../../uapi/context.js';
import type { ProgTypeName } from '../../uapi/prog-types.js';
import type { Region } from '../memory.js';

export interface ProgramContext {
  readonly kind: CtxKind;
  readonly type: ProgTypeName;
  /** The context struct (xdp_md / __sk_buff); its start is r1 of the run. */
  readonly struct: Region;
  /** Unmaps every region the context holds. */
  release(): void;
}

/** An errno the kernel's BPF_PROG_TEST_RUN would return for this input (positive). */
export class TestRunRefusal {
  readonly errno: number;
  readonly reason: string;
  constructor(errno: number, reason: string) {
    this.errno = errno;
    this.reason = reason;
  }
}

/** Linux constants the contexts share (include/linux/if_ether.h, include/linux/skbuff.h, x86-64). */
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64: the tailroom every test-run buffer keeps. */
export const SKB_SHARED_INFO_SIZE = 320;
/** MAX_SKB_FRAGS (default config): the most fragments one buffer holds. */
export const MAX_SKB_FRAGS = 17;

// BPF_MAP_TYPE_PERCPU_HASH: a hash whose elements hold one value per virtual CPU. A program's
// update writes its own CPU's value (a new element starts zeroed on the others, as the kernel's
// pcpu_init_value() does); the user side writes and reads all CPUs. The machinery is HashMap's.

import { HashMap } from './hash.js';

export class PercpuHashMap extends HashMap {}

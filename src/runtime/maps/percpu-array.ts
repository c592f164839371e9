// BPF_MAP_TYPE_PERCPU_ARRAY: an array with one value per virtual CPU. Programs see the value of
// the CPU they run on (the `cpu` argument of the program-side calls); the user side reads and
// writes all CPUs at once, each value padded to 8 bytes. The machinery is ArrayMap's.

import { ArrayMap } from './array.js';

export class PercpuArrayMap extends ArrayMap {}

// One round of a batch lookup (BPF_MAP_LOOKUP_BATCH) or a whole-map dump: keys and values back to
// back in two flat buffers, as the kernel fills them. Per-element views are made only when asked
// for: a typed array per element costs more than the copy itself at tens of thousands of them.

export class MapBatch {
  /** Elements in this round. */
  readonly count: number;
  readonly keySize: number;
  /** Bytes of one value (per-CPU maps: every CPU's, each padded to 8). */
  readonly valueSize: number;
  /** The keys, `keySize` bytes each. */
  readonly keyBytes: Uint8Array;
  /** The values, `valueSize` bytes each. */
  readonly valueBytes: Uint8Array;
  /** Pass to the next call; undefined when the walk is done (the kernel's ENOENT). */
  readonly cursor: Uint8Array | undefined;
  #keys: Uint8Array[] | undefined;
  #values: Uint8Array[] | undefined;

  constructor(
    count: number,
    keySize: number,
    valueSize: number,
    keyBytes: Uint8Array,
    valueBytes: Uint8Array,
    cursor: Uint8Array | undefined,
  ) {
    this.count = count;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.keyBytes = keyBytes;
    this.valueBytes = valueBytes;
    this.cursor = cursor;
  }

  /** A batch of separate keys and values (copied into flat buffers). */
  static of(
    keySize: number,
    valueSize: number,
    keys: readonly Uint8Array[],
    values: readonly Uint8Array[],
    cursor: Uint8Array | undefined,
  ): MapBatch {
    const kb = new Uint8Array(keys.length * keySize);
    const vb = new Uint8Array(values.length * valueSize);
    for (let i = 0; i < keys.length; i++) kb.set(keys[i]!, i * keySize);
    for (let i = 0; i < values.length; i++) vb.set(values[i]!, i * valueSize);
    return new MapBatch(keys.length, keySize, valueSize, kb, vb, cursor);
  }

  /** Batches joined into one (a dump), without a cursor. */
  static concat(keySize: number, valueSize: number, parts: readonly MapBatch[]): MapBatch {
    const count = parts.reduce((n, p) => n + p.count, 0);
    const kb = new Uint8Array(count * keySize);
    const vb = new Uint8Array(count * valueSize);
    let at = 0;
    for (const p of parts) {
      kb.set(p.keyBytes.subarray(0, p.count * keySize), at * keySize);
      vb.set(p.valueBytes.subarray(0, p.count * valueSize), at * valueSize);
      at += p.count;
    }
    return new MapBatch(count, keySize, valueSize, kb, vb, undefined);
  }

  /** Key `i` (a view into keyBytes). */
  key(i: number): Uint8Array {
    return this.keyBytes.subarray(i * this.keySize, (i + 1) * this.keySize);
  }

  /** Value `i` (a view into valueBytes). */
  value(i: number): Uint8Array {
    return this.valueBytes.subarray(i * this.valueSize, (i + 1) * this.valueSize);
  }

  /** Every key as its own view (made on first use). */
  get keys(): Uint8Array[] {
    this.#keys ??= Array.from({ length: this.count }, (_, i) => this.key(i));
    return this.#keys;
  }

  /** Every value as its own view (made on first use). */
  get values(): Uint8Array[] {
    this.#values ??= Array.from({ length: this.count }, (_, i) => this.value(i));
    return this.#values;
  }
}

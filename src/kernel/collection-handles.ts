// The members of a KernelCollection as the backend-neutral API shows them: a CollectionProgram
// is a LoadedProgram over a KernelProgram, a CollectionMap a LoadedMap over a KernelMap. They
// carry the spec name (the kernel name may be truncated) and refuse use once the collection is closed.

import { ClosedError } from '../errors.js';
import type { MapSpec, ProgramSpec } from '../program/index.js';
import type { LoadedMap, LoadedProgram, TestRunInput, TestRunResult } from '../runtime/backend.js';
import { dumpMap } from '../runtime/maps/dump.js';
import type { MapBatch } from '../runtime/maps/types.js';
import type { ProgTypeName } from '../uapi/index.js';
import type { KernelMap } from './map.js';
import type { KernelProgram } from './program.js';

export class CollectionProgram implements LoadedProgram {
  readonly name: string;
  readonly type: ProgTypeName;
  readonly spec: ProgramSpec;
  readonly #program: KernelProgram;
  #closed = false;

  /** @internal made by loadKernel(). */
  constructor(spec: ProgramSpec, program: KernelProgram) {
    this.name = spec.name;
    this.type = program.type;
    this.spec = spec;
    this.#program = program;
  }

  /** The KernelProgram (fd, id, xlated(), testRun()). */
  get kernel(): KernelProgram {
    if (this.#closed) throw new ClosedError(`program '${this.name}'`);
    return this.#program;
  }

  get fd(): number {
    return this.kernel.fd;
  }

  /** The verifier log, when loadKernel was given a logLevel. */
  get log(): string {
    return this.#program.log;
  }

  /** BPF_PROG_TEST_RUN with the input's fields; errors are BpfError with errno (EINVAL for short frames). */
  run(input: TestRunInput = {}): TestRunResult {
    const r = this.kernel.testRun(input);
    const out = { retval: r.retval, data: r.data, duration: r.duration };
    return r.ctx === undefined ? out : { ...out, ctx: r.ctx };
  }

  /** @internal */
  close(): void {
    this.#closed = true;
    this.#program.close();
  }
}

export class CollectionMap implements LoadedMap {
  readonly name: string;
  readonly spec: MapSpec;
  readonly #map: KernelMap;
  /** False for a map given in `mapReplacements`: the collection uses it but does not close it. */
  readonly owned: boolean;
  #closed = false;

  /** @internal made by loadKernel(). */
  constructor(spec: MapSpec, map: KernelMap, owned: boolean) {
    this.name = spec.name;
    this.spec = spec;
    this.#map = map;
    this.owned = owned;
  }

  /** The KernelMap (fd, keys(), freeze(), valueBufferSize). */
  get kernel(): KernelMap {
    if (this.#closed) throw new ClosedError(`map '${this.name}'`);
    return this.#map;
  }

  get fd(): number {
    return this.kernel.fd;
  }

  get valueSize(): number {
    return this.#map.valueBufferSize;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    return this.kernel.lookup(key);
  }

  update(key: Uint8Array, value: Uint8Array, flags?: number): void {
    this.kernel.update(key, value, flags);
  }

  delete(key: Uint8Array): void {
    this.kernel.delete(key);
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    return this.kernel.nextKey(key);
  }
  lookupAndDelete(key: Uint8Array): Uint8Array | undefined {
    return this.kernel.lookupAndDelete(key);
  }
  lookupBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.kernel.lookupBatch(cursor, count);
  }
  lookupAndDeleteBatch(cursor: Uint8Array | undefined, count: number): MapBatch {
    return this.kernel.lookupAndDeleteBatch(cursor, count);
  }
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], flags?: number): number {
    return this.kernel.updateBatch(keys, values, flags);
  }
  deleteBatch(keys: readonly Uint8Array[]): number {
    return this.kernel.deleteBatch(keys);
  }
  dump(): MapBatch {
    return dumpMap(this, this.spec.keySize, this.valueSize);
  }

  /** @internal */
  close(): void {
    this.#closed = true;
    if (this.owned) this.#map.close();
  }
}

// What the data-plane library needs from where it runs: the simulated network (simulated.ts) or
// the running kernel. The controller code (dataplane.ts) is written once against this.

import type { Collection, CollectionSpec, TableChange } from '../index.js';
import type { AfXdpSocket, Hook } from '../net/index.js';

export interface PlatformDevice {
  readonly name: string;
  readonly ifindex: number;
  /** 'aa:bb:cc:dd:ee:ff'. */
  readonly mac: string;
}

/** An AF_XDP socket the platform opened, and the xskmap value that names it. */
export interface PuntSocket {
  readonly socket: AfXdpSocket;
  readonly mapValue: Uint8Array;
}

export interface DataplanePlatform {
  readonly name: 'simulation' | 'kernel';
  load(spec: CollectionSpec): Collection;
  device(nameOrIfindex: string | number): PlatformDevice;
  /** Attaches a program of `collection` at a hook of a device; the returned function detaches it. */
  attach(collection: Collection, program: string, device: PlatformDevice, hook: Hook): () => void;
  /** The records a ring-buffer map produced since the last call, without waiting. */
  drainRingBuffer(collection: Collection, map: string): Uint8Array[];
  /** An AF_XDP socket bound to queue 0 of `device`. */
  openSocket(device: PlatformDevice): PuntSocket;
  /** Moves the traffic that is waiting (the simulation runs its network until idle). */
  settle(): void;
  /**
   * The kernel's route and neighbour changes since the last call (the whole tables first), for
   * a platform that follows them (the kernel's with `followKernel`); never waits.
   */
  tableChanges?(): TableChange[];
  /**
   * Lets go of what the platform holds for the data plane (link handles, readers, sockets of its
   * own) without detaching anything: pinned links keep the programs running.
   */
  release?(): void;
}

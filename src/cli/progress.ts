// Long runs at a terminal: a progress bar on stderr (only when stderr is a TTY and the output is
// not JSON, and only once a run has lasted long enough to need one), and Ctrl-C, which stops the
// run between slices so the command can print what was done so far.

import type { Output } from './output.js';

/** Redraw at most this often, and only for runs that last longer than the first delay. */
const REDRAW_MS = 100;
const SHOW_AFTER_MS = 300;
const WIDTH = 30;

export class Progress {
  readonly #out: Output;
  readonly #total: number;
  readonly #unit: string;
  readonly #enabled: boolean;
  readonly #started = performance.now();
  readonly #showAfter: number;
  #done = 0;
  #drawn = 0;
  #visible = false;

  /** `showAfterMs`: how long a run lasts before the bar appears (tests set 0). */
  constructor(out: Output, total: number, unit: string, showAfterMs = SHOW_AFTER_MS) {
    this.#showAfter = showAfterMs;
    this.#out = out;
    this.#total = total;
    this.#unit = unit;
    this.#enabled = out.io.tty && !out.json;
  }

  advance(n: number): void {
    this.#done += n;
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#started < this.#showAfter || now - this.#drawn < REDRAW_MS) return;
    this.#drawn = now;
    this.#visible = true;
    const share = this.#total === 0 ? 1 : Math.min(1, this.#done / this.#total);
    const filled = Math.round(share * WIDTH);
    this.#out.io.err(
      `\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${this.#done}/${this.#total} ${this.#unit} (Ctrl-C stops)`,
    );
  }

  /** Erases the bar so the report starts on a clean line. */
  finish(): void {
    if (this.#visible) this.#out.io.err('\r\x1b[K');
    this.#visible = false;
  }
}

/** Ctrl-C while a run is under way: noted, and the run stops at the next slice. */
export class Interrupt {
  #stopped = false;
  readonly #handler = () => {
    this.#stopped = true;
  };

  constructor() {
    process.on('SIGINT', this.#handler);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  dispose(): void {
    process.off('SIGINT', this.#handler);
  }
}

/** Lets pending events (a SIGINT) be seen between synchronous slices of work. */
export const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

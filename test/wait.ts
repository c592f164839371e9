// Waiting for a condition in tests, off the event loop: the kernel tests wait for what a child
// process or the kernel's softirq work does (a sender started, frames counted). Bounded, failing
// with what was awaited; the bound is generous because CI runs on a loaded 2-core machine where a
// child Node takes seconds to start, and waiting longer costs nothing once the condition holds.

/** How long `until` waits by default. */
export const UNTIL_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once `probe` returns true (checked every 10 ms); rejects after `ms` naming `what`
 * (a function is called then, to show the state at the time).
 */
export async function until(
  probe: () => boolean,
  what: string | (() => string),
  ms = UNTIL_MS,
): Promise<void> {
  const start = Date.now();
  while (!probe()) {
    if (Date.now() - start > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(10);
  }
}

// A bpffs directory private to one test: a fresh directory under /sys/fs/bpf when a bpffs is
// mounted there, else a bpffs mounted on a new temporary directory (each bpffs mount is its
// own instance, so nothing else's pins are visible). close() removes every pin made in it
// (unmounting drops the instance's pins) and the directory; it is also run at process exit.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateBpffs extends Disposable {
  readonly path: string;
  close(): void;
}

const SYS = '/sys/fs/bpf';

function sysIsBpffs(): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === SYS && l.split(' ')[2] === 'bpf');
}

let counter = 0;

/** A private bpffs directory named with `prefix`; throws where bpffs cannot be mounted. */
export function privateBpffs(prefix: string): PrivateBpffs {
  let path: string;
  let undo: () => void;
  if (sysIsBpffs()) {
    path = join(SYS, `${prefix}-${process.pid}-${counter++}`);
    mkdirSync(path);
    undo = () => rmSync(path, { recursive: true, force: true });
  } else {
    path = mkdtempSync(join(tmpdir(), `${prefix}-bpffs-`));
    try {
      execFileSync('mount', ['-t', 'bpf', 'bpf', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      rmSync(path, { recursive: true, force: true });
      throw new Error(`cannot mount bpffs on ${path}: ${(e as { stderr?: string }).stderr ?? e}`);
    }
    const mounted = path;
    undo = () => {
      execFileSync('umount', [mounted], { stdio: 'ignore' });
      rmSync(mounted, { recursive: true, force: true });
    };
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    process.off('exit', close);
    undo();
  };
  process.on('exit', close);
  return { path, close, [Symbol.dispose]: close };
}

/** Why pin tests must skip, or undefined when a private bpffs can be had. */
export function bpffsSkip(): string | undefined {
  try {
    privateBpffs('k12probe').close();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

// What the control-plane tests share: why they must skip, and reading a child controller's
// report (the first JSON line it prints).
import type { ChildProcess } from 'node:child_process';
import { netnsSkip } from '../netns.js';
import { bpffsSkip } from './bpffs.js';

/** Why a test needing bpf(), network namespaces (named `prefix`…) and a bpffs must skip. */
export function controlSkip(prefix: string): string | undefined {
  return netnsSkip(prefix) ?? bpffsSkip();
}

/** The first JSON line a child prints; its stderr in the error when it ends without one. */
export async function firstLine(p: ChildProcess): Promise<Record<string, number>> {
  let out = '';
  let err = '';
  p.stderr!.on('data', (d) => {
    err += String(d);
  });
  for await (const chunk of p.stdout!) {
    out += String(chunk);
    const nl = out.indexOf('\n');
    if (nl >= 0) return JSON.parse(out.slice(0, nl)) as Record<string, number>;
  }
  throw new Error(`child ended without output: ${err}`);
}

// `tsbpf gen skeleton OBJ`: prints a typed TypeScript skeleton of a BPF object (as bpftool gen
// skeleton and bpf2go do); the generation itself is generateSkeleton from the public API.

import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { generateSkeleton } from '../../index.js';
import { parse, UsageError } from '../args.js';
import { readBytes } from '../input.js';
import type { Output } from '../output.js';

export const genUsage = `Usage: tsbpf gen skeleton OBJ [--name NAME] [-o OUT] [--json]
  Prints a TypeScript module for OBJ: the object embedded, name constants, types and codecs
  from BTF for map keys, values and .rodata/.data/.bss, and typed program and map handles
  (open() → set rodata → load(load | loadKernel)). NAME defaults to OBJ's file name up to
  its first '.' ('object' for stdin, '-'); -o writes the module to OUT instead.`;

export function genCommand(argv: string[], out: Output): number {
  const { values, positionals } = parse('gen', argv, {
    name: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const [what, file] = positionals;
  if (what !== 'skeleton' || file === undefined || positionals.length > 2) throw new UsageError(genUsage);
  const name =
    typeof values.name === 'string' ? values.name : file === '-' ? 'object' : basename(file).split('.')[0]!;
  const text = generateSkeleton(readBytes(file), { name, source: file === '-' ? 'standard input' : file });
  if (typeof values.output === 'string') {
    writeFileSync(values.output, text);
    out.text(`skeleton of ${file} written to ${values.output}`);
  } else if (!out.json) process.stdout.write(text);
  out.data({
    name,
    source: file,
    ...(typeof values.output === 'string' ? { output: values.output } : { text }),
  });
  return 0;
}

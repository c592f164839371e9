// CO-RE name rules: a type or enumerator name may carry a "flavor" suffix after a triple
// underscore (`task_struct___v1`), which relocation ignores. Facts from libbpf
// (bpf_core_essential_name_len, bpf_core_names_match in relo_core.c); not a general name parser.

/** The name without its flavor: everything before the last `X___Y` separator (X, Y not `_`). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name.startsWith('___', i + 1) && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** libbpf's name match for TYPE_MATCHES: an anonymous target matches only an anonymous local. */
export function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  return essentialName(local) === essentialName(target);
}

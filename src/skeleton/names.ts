// Names in a generated skeleton: TypeScript identifiers and property keys made from C and ELF
// names, and a namer that hands out each exported type name once. Not a TypeScript parser: it
// knows the reserved words and the globals a skeleton uses, nothing more.

/** ECMAScript reserved words and strict-mode/TypeScript words a declaration name may not take. */
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false ' +
    'finally for function if import in instanceof new null return super switch this throw true try ' +
    'typeof var void while with implements interface let package private protected public static ' +
    'yield await any boolean number string symbol bigint never unknown object undefined type as'
  ).split(' '),
);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s) && !RESERVED.has(s);
}

/** A string literal in single quotes (the style of the rest of a skeleton). */
export function quote(s: string): string {
  const inner = JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
  return `'${inner}'`;
}

/**
 * Text from the object (a C or section name, a file name) made safe inside a // or /** comment:
 * no line terminators and no comment end, so a crafted name cannot become code.
 */
export function commentText(s: string): string {
  const lineSafe = [...s]
    .map((c) => {
      const code = c.charCodeAt(0);
      return code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 ? '?' : c;
    })
    .join('');
  return lineSafe.replace(/\*\//g, '*?/');
}

/** A property key as written in an object literal or interface: bare when it can be, else quoted. */
export function propertyKey(name: string): string {
  return IDENTIFIER.test(name) ? name : quote(name);
}

/** A property access: `.name`, or `["a.b"]` when the name is no identifier. */
export function propertyAccess(name: string): string {
  return IDENTIFIER.test(name) ? `.${name}` : `[${quote(name)}]`;
}

/** `flow_key` → `FlowKey`, `.rodata.str1.1` → `RodataStr11`; never empty, never starting with a digit. */
export function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  if (joined === '') return 'Anon';
  return /^[0-9]/.test(joined) ? `T${joined}` : joined;
}

/** A section or map name as a handle key: `.rodata` → `rodata`, `.data.cfg` → `data_cfg`. */
export function handleKey(name: string): string {
  const key = name.replace(/^\.+/, '').replace(/[^A-Za-z0-9_$]/g, '_');
  if (key === '') return '_';
  return /^[0-9]/.test(key) ? `_${key}` : key;
}

/** Hands out unique names: the first claim of a name gets it, later ones a numbered variant. */
export class Namer {
  readonly #taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.#taken.add(r);
  }

  claim(wanted: string): string {
    let name = isIdentifier(wanted) ? wanted : `${wanted}_`;
    for (let k = 2; this.#taken.has(name); k++) name = `${wanted}${k}`;
    this.#taken.add(name);
    return name;
  }
}

// generateSkeleton's own behaviour, beside the skeletons in use (skeleton.test.ts): what it
// refuses, what it leaves as bytes, and the names it gives.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { generateSkeleton, LoadError, NotSupportedError, TsbpfError } from '../index.js';
import { commentText, handleKey, Namer, pascalCase, propertyKey, quote } from './names.js';

const root = new URL('../../../', import.meta.url);
const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, root)));

test('refuses a big-endian object, bytes that are no ELF and a name that is no file-like word', () => {
  assert.throws(() => generateSkeleton(read('test/skeleton/layout.bpfeb.o')), NotSupportedError);
  assert.throws(() => generateSkeleton(new Uint8Array(10)), LoadError);
  assert.throws(
    () => generateSkeleton(read('test/skeleton/layout.v3.o'), { name: "x'; evil()" }),
    (e: unknown) => e instanceof TsbpfError && e.code === 'INVALID_ARGUMENT',
  );
});

test('maps without BTF key/value types get raw-bytes handles; the generator is deterministic', () => {
  const legacy = read('examples/xdp_legacy_maps.v3.o');
  const text = generateSkeleton(legacy, { name: 'legacy' });
  assert.match(text, /readonly ethertype_counts: TypedMap<Uint8Array, Uint8Array, MapOf<C>>;/);
  assert.equal(generateSkeleton(legacy, { name: 'legacy' }), text);
});

test('names: C and ELF names become identifiers, keys and quoted strings', () => {
  assert.equal(pascalCase('flow_key'), 'FlowKey');
  assert.equal(pascalCase('.rodata.str1.1'), 'RodataStr11');
  assert.equal(pascalCase('4tuple'), 'T4tuple');
  assert.equal(pascalCase(''), 'Anon');
  assert.equal(handleKey('.rodata'), 'rodata');
  assert.equal(handleKey('.data.cfg-x'), 'data_cfg_x');
  assert.equal(propertyKey('xdp_sample.____fmt'), "'xdp_sample.____fmt'");
  assert.equal(quote(`it's "x"\n`), `'it\\'s "x"\\n'`);
  // A crafted name cannot close a comment or start a new line of code.
  assert.equal(commentText('x */ evil();\n// y\u2028z'), 'x *?/ evil();?// y?z');
  const n = new Namer(['Codec']);
  assert.deepEqual(
    [n.claim('Codec'), n.claim('Codec'), n.claim('Flow'), n.claim('default')],
    ['Codec2', 'Codec3', 'Flow', 'default_'],
  );
});

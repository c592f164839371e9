// The VM backend: loadCollection over an injected engine, with VmCollection, VmProgram (the
// VM's BPF_PROG_TEST_RUN) and VmMap implementing the backend-neutral Collection API.
export {
  type EngineFactory,
  type LoadCollectionOptions,
  loadCollection,
  type VerifyStage,
  VmCollection,
} from './collection.js';
export { bindHelpers, seededRandom, type VmEnv } from './env.js';
export { VmMap } from './map.js';
export { VmProgram } from './program.js';

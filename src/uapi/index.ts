// The platform as data (layer 1): uapi enums and errno; helper prototypes and context layouts
// join them as they are built.

export * from './addresses.js';
export * from './attach-types.js';
export * from './bpf-sock.js';
export * from './commands.js';
export * from './context.js';
export * from './context-json.js';
export * from './errno.js';
export * from './ethernet.js';
export * from './helper-protos.js';
export * from './helpers.js';
export * from './kfunc-protos.js';
export * from './link-types.js';
export * from './map-descriptors.js';
export * from './map-flags.js';
export * from './map-types.js';
export * from './page.js';
export * from './prog-types.js';
export * from './sections.js';
export * from './socket.js';
export * from './table-change.js';
export * from './verdicts.js';

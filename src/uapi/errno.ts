// Linux errno numbers as part of the uapi. Their one home is errors.ts, beside BpfError, which
// carries them and names them; this file only re-exports them for uapi's users.
export { Errno, type ErrnoName, errnoName } from '../errors.js';

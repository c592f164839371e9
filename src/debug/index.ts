// The debugger (issue 13): a session over one recorded test run on the interpreter, stepping
// forwards and backwards by instruction or C line. Browser-safe; the terminal and DAP front ends
// are in cli/.

export { type EvalEnv, ExpressionError, formatValue, type Value } from './expr.js';
export {
  type DebugBreakpoint,
  type DebugBreakpointInfo,
  type DebugDirection,
  type DebugFrame,
  type DebugLocation,
  type DebugOptions,
  DebugSession,
  type DebugStop,
  type DebugStopReason,
} from './session.js';
export type { FrameKind, RunEnd } from './trace.js';

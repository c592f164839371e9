// The debugger (issue 13): a session over one recorded test run on the interpreter, stepping
// forwards and backwards by instruction or C line. Browser-safe; the terminal and DAP front ends
// are in cli/.

export { type EvalEnv, ExpressionError, formatValue, type Value } from './expr.js';
export {
  type Breakpoint,
  type BreakpointInfo,
  type DebugOptions,
  DebugSession,
  type Direction,
  type Location,
  type StackFrame,
  type Stop,
  type StopReason,
} from './session.js';
export type { FrameKind, RunEnd } from './trace.js';

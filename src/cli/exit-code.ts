/**
 * Exit codes: 0 success, 1 the operation failed (not found, illegal transition, a run that ended
 * badly with --wait), 2 bad usage or bad input (nothing was changed), 3 a tool keel runs is not
 * installed (the message has the command to run where it is).
 */
export const ExitCode = { ok: 0, failed: 1, usage: 2, toolMissing: 3 } as const;

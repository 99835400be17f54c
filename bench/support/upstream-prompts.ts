/** The prompts the fake upstream child process answers (`upstream-child.ts`). */
export const OPEN_STREAMS_PROMPT = 'concurrency';
/** A 2-token answer, to warm a fresh relay up before its memory baseline. */
export const WARM_PROMPT = 'warm';

import type { TracedRun } from './fake-langsmith-server';

/** The one run of a trace without a parent; throws naming the runs unless there is exactly one. */
export function rootRun(runs: readonly TracedRun[]): TracedRun {
  const roots = runs.filter((run) => !run.parent_run_id);
  if (roots.length !== 1) {
    throw new Error(`expected one root run, got ${roots.map((run) => run.name).join(', ')}`);
  }
  return roots[0];
}

/**
 * What is wrong with the links of one trace, as LangSmith would rebuild its tree from them;
 * empty when every run names the root's trace, points to a parent in the trace, and carries a
 * dotted order that extends its parent's and ends with its own id.
 */
export function treeProblems(runs: readonly TracedRun[]): string[] {
  const root = rootRun(runs);
  const byId = new Map(runs.map((run) => [run.id, run]));
  const problems: string[] = [];
  if (root.trace_id !== root.id) problems.push(`root ${root.name}: trace_id is not its own id`);
  for (const run of runs) {
    const label = `${run.run_type} run ${run.name}`;
    if (run.trace_id !== root.id) problems.push(`${label}: trace_id ${run.trace_id}`);
    if (!run.dotted_order?.endsWith(`Z${run.id}`)) problems.push(`${label}: dotted_order`);
    if (run === root) continue;
    const parent = byId.get(run.parent_run_id ?? '');
    if (!parent) {
      problems.push(`${label}: parent ${run.parent_run_id} is not in the trace`);
    } else if (!run.dotted_order?.startsWith(`${parent.dotted_order}.`)) {
      problems.push(`${label}: dotted_order does not extend its parent's`);
    }
  }
  return problems;
}

/** The run's parents up to the root, nearest first. */
export function ancestorsOf(run: TracedRun, runs: readonly TracedRun[]): TracedRun[] {
  const byId = new Map(runs.map((candidate) => [candidate.id, candidate]));
  const ancestors: TracedRun[] = [];
  for (let parent = byId.get(run.parent_run_id ?? ''); parent; ) {
    ancestors.push(parent);
    parent = byId.get(parent.parent_run_id ?? '');
  }
  return ancestors;
}

/** The runs of one type, in the order they started. */
export function runsOfType(runs: readonly TracedRun[], type: string): TracedRun[] {
  return runs
    .filter((run) => run.run_type === type)
    .sort((a, b) => String(a.dotted_order).localeCompare(String(b.dotted_order)));
}

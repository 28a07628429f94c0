// The built-in tasks, in the order `gatedrnn compare` runs them. A new task is one file that
// exports a TaskDefinition, plus one line here.
import { charlm } from './charlm';
import { g2p } from './g2p';
import { genre } from './genre';
import { names } from './names';
import type { TaskDefinition } from './registry-types';
import { tagging } from './tagging';
import { sp500 } from './sp500';
import { spam } from './spam';
import type { TaskSpec } from './spec';
import { weather } from './weather';

export const TASKS: readonly TaskDefinition[] = [names, spam, g2p, sp500, weather, genre, tagging, charlm];

export const BUILTIN_TASKS: readonly string[] = TASKS.map((t) => t.id);
/** What a plain `gatedrnn compare` runs; --task all runs BUILTIN_TASKS. */
export const DEFAULT_TASKS: readonly string[] = TASKS.filter((t) => t.byDefault !== false).map((t) => t.id);
export type BuiltinTask = string;

/** Builds a built-in task by id. */
export function loadTask(id: BuiltinTask, full = false): TaskSpec {
  const def = TASKS.find((t) => t.id === id);
  if (!def) throw new RangeError(`loadTask: expected id to be one of ${BUILTIN_TASKS.join(', ')}, but received "${id}"`);
  return def.load(full);
}

// `gatedrnn compare merge`: shards' results.json files -> the results one run would have written.
// Every check happens before anything is merged, so a wrong set of shards never yields a report.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CELLS } from '../tasks';
import type { CellResult, ComparisonResults, MachineInfo, RunUnit, TaskCosts, TaskResult } from './results';
import { runCells, runUnits, trainingCosts } from './runner';

export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

/** Reads DIR/results.json (or the file itself) and checks it is one shard's results. */
export function readShard(dirOrFile: string): ComparisonResults {
  const file = fs.existsSync(dirOrFile) && fs.statSync(dirOrFile).isDirectory() ? path.join(dirOrFile, 'results.json') : dirOrFile;
  if (!fs.existsSync(file)) throw new MergeError(`expected ${dirOrFile} to hold a shard's results.json, but ${file} does not exist`);
  let parsed: ComparisonResults;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ComparisonResults;
  } catch (err) {
    throw new MergeError(`expected ${file} to be JSON, but reading it failed: ${(err as Error).message}`);
  }
  if (parsed.version !== 2 || !parsed.shard)
    throw new MergeError(`expected ${file} to be the results of one shard (compare --shard K/N), but it has no shard record`);
  return parsed;
}

const machineKey = (m: MachineInfo) => JSON.stringify([m.platform, m.arch, m.cpuModel, m.cpus, m.node]);
const unitName = (u: RunUnit) => `${u.task} seed ${u.seed}`;
const shardName = (r: ComparisonResults) => `${r.shard!.index}/${r.shard!.count}`;

/**
 * Merges shards into one run's results. Refuses shards of different settings, versions, task
 * lists or shard counts, and any unit missing or run twice.
 */
export function mergeShards(shards: readonly ComparisonResults[]): ComparisonResults {
  if (shards.length === 0) throw new MergeError('expected at least one shard folder to merge, but received none');
  const noRecord = shards.findIndex((s) => !s.shard);
  if (noRecord >= 0)
    throw new MergeError(
      `expected every input to be one shard's results (compare --shard K/N), but input ${noRecord + 1} has no shard record`,
    );
  const first = shards[0];
  const taskIds = first.tasks.map((t) => t.meta.id);
  for (const s of shards) {
    const what = `shard ${shardName(s)}`;
    if (s.package !== first.package)
      throw new MergeError(
        `shards ran different gatedrnn versions: ${shardName(first)} ran ${first.package ?? 'an unknown version'}, ${what} ran ${s.package ?? 'an unknown version'}`,
      );
    if (JSON.stringify(s.settings) !== JSON.stringify(first.settings)) {
      throw new MergeError(
        `shards ran different settings: ${shardName(first)} ran ${JSON.stringify(first.settings)}, ${what} ran ${JSON.stringify(s.settings)}`,
      );
    }
    const ids = s.tasks.map((t) => t.meta.id);
    if (JSON.stringify(ids) !== JSON.stringify(taskIds))
      throw new MergeError(`shards ran different tasks: ${shardName(first)} ran ${taskIds.join(',')}, ${what} ran ${ids.join(',')}`);
    if (s.shard!.count !== first.shard!.count)
      throw new MergeError(
        `shards were cut differently: ${shardName(first)} is one of ${first.shard!.count}, ${what} is one of ${s.shard!.count}`,
      );
  }
  // Which shard ran each unit: every expected unit exactly once, nothing else.
  const ranBy = new Map<string, ComparisonResults[]>();
  for (const s of shards) for (const u of s.shard!.units) ranBy.set(unitName(u), [...(ranBy.get(unitName(u)) ?? []), s]);
  const expected = runUnits(taskIds, first.settings);
  const expectedNames = new Set(expected.map(unitName));
  for (const [name, by] of ranBy) {
    if (!expectedNames.has(name)) throw new MergeError(`unit ${name} is not one of the run's units (shard ${shardName(by[0])})`);
    if (by.length > 1)
      throw new MergeError(`unit ${name} was run more than once, by shards ${by.map(shardName).join(' and ')}; merge each shard once`);
  }
  const missing = expected.filter((u) => !ranBy.has(unitName(u)));
  if (missing.length > 0) {
    const given = shards.map(shardName).join(', ');
    throw new MergeError(
      `${missing.length} unit${missing.length === 1 ? ' is' : 's are'} missing (${missing.slice(0, 5).map(unitName).join(', ')}${missing.length > 5 ? ', ...' : ''}): no shard given ran ${missing.length === 1 ? 'it' : 'them'} (shards given: ${given})`,
    );
  }

  const machines = new Map<string, { machine: MachineInfo; units: RunUnit[] }>();
  for (const s of shards) {
    const entry = machines.get(machineKey(s.machine)) ?? { machine: s.machine, units: [] };
    entry.units.push(...s.shard!.units);
    machines.set(machineKey(s.machine), entry);
  }
  const byMachine = [...machines.values()].sort((a, b) => b.units.length - a.units.length);
  const mixed = byMachine.length > 1;
  const seeds = first.settings.seeds;
  const tasks: TaskResult[] = first.tasks.map((t0, ti) => {
    const parts = shards.map((s) => s.tasks[ti]);
    const cells = {} as TaskResult['cells'];
    for (const c of runCells(first.settings)) {
      const runs = parts.flatMap((p) => p.cells[c]?.runs ?? []).sort((a, b) => seeds.indexOf(a.seed) - seeds.indexOf(b.seed));
      const base = t0.cells[c]!;
      const cell: CellResult = {
        cell: base.cell,
        units: base.units,
        layers: base.layers,
        params: runs[runs.length - 1]?.params ?? base.params,
        runs,
      };
      cells[c] = cell;
    }
    // Timing lives with the first seed's unit: its models are the ones a single run times.
    const timed = shards.find((s) => s.shard!.units.some((u) => u.task === t0.meta.id && u.seed === seeds[0]));
    const costs: TaskCosts = { ...trainingCosts(cells as Record<(typeof CELLS)[number], CellResult>) };
    // Epochs timed on different machines are not one sample: no pooled training-time ratio.
    const taskMachines = new Set(shards.filter((s) => s.shard!.units.some((u) => u.task === t0.meta.id)).map((s) => machineKey(s.machine)));
    if (taskMachines.size > 1) delete costs.trainTime;
    const timedCosts = timed?.tasks[ti].costs;
    if (timedCosts?.latency) costs.latency = timedCosts.latency;
    if (timedCosts?.batch64) costs.batch64 = timedCosts.batch64;
    const { costs: _drop, ...rest } = t0;
    return { ...rest, cells, ...(Object.keys(costs).length > 0 || t0.costs ? { costs } : {}) };
  });
  const createdAt = shards
    .map((s) => s.createdAt)
    .sort()
    .at(-1)!;
  const note = mixed
    ? `The shards ran on ${byMachine.length} different machines; inference times come from the machine that ran each task's first seed, and no training-time ratio pools epochs timed on different machines.`
    : undefined;
  const { shard: _shard, ...head } = first;
  return {
    ...head,
    createdAt,
    machine: byMachine[0].machine,
    tasks,
    merged: { shards: first.shard!.count, machines: byMachine, ...(note ? { note } : {}) },
  };
}

// `gatedrnn compare`: arguments -> tasks -> runs -> report. The trainer is injected so the CLI
// can wire the real models while tests use a fake one.
import { type BuiltinTask, checkDataPackages, loadTask, type TaskSpec, userForecastTask, userTextTask } from '../tasks';
import { type OptionKind, type ParsedArgs, parseCommandArgs, UsageError } from '../util/args';
import { type ClaimId, type ClaimsOptions, type ClaimsResults, runClaims } from './claims';
import { claimsTable, rowSentence, writeClaimsReport } from './claims-report';
import { type CompareArgs, CompareArgsError, COMPARE_USAGE, parseCompareArgs } from './cli-args';
import type { InterleaveOptions } from './measure';
import { ProgressBar, type ProgressStream } from './progress';
import { MergeError, mergeShards, readShard } from './merge';
import { recommend } from './recommend';
import { terminalReport, writeReport, writeShardResults } from './report';
import type { ComparisonResults, MachineInfo, RunSettings } from './results';
import { modelCount, runComparison } from './runner';
import type { TrainAndMeasure } from './trainer';

export interface CompareDeps {
  trainAndMeasure: TrainAndMeasure;
  stdout?: ProgressStream;
  stderr?: ProgressStream;
  /** Builds a built-in task (default: loadTask, from the npm data packages). */
  loadTask?: (id: BuiltinTask, full: boolean) => TaskSpec;
  /** Whether an npm package is installed (default: looked up as require would); checked before loadTask. */
  isInstalled?: (packageName: string) => boolean;
  machine?: MachineInfo;
  now?: () => Date;
  /** Runs the claims experiments (default: runClaims). */
  runClaims?: (options: ClaimsOptions) => Promise<ClaimsResults>;
  /** Interleaved inference timing options (default: the runner's); false skips it. */
  timing?: InterleaveOptions | false;
  /** Where JOB_COMPLETION_INDEX and GATEDRNN_SHARDS are read (default: process.env). */
  env?: Record<string, string | undefined>;
}

/** `compare --claims`: the claims experiments, their verdict table and charts. */
async function claimsCommand(args: CompareArgs, deps: CompareDeps, stdout: ProgressStream, stderr: ProgressStream): Promise<number> {
  let bar: ProgressBar | null = null;
  let done = 0;
  const results = await (deps.runClaims ?? runClaims)({
    claims: args.claims as ClaimId[],
    full: args.full,
    machine: deps.machine,
    now: deps.now,
    events: {
      onJobStart: ({ job, total }) => {
        bar ??= new ProgressBar(stderr, { total, disabled: args.json });
        bar.update(
          done,
          `claims: ${job.kind}${'cell' in job ? ` ${job.cell.toUpperCase()}` : ''}${'seed' in job ? ` seed ${job.seed}` : ''}`,
        );
      },
      onJobEnd: () => bar?.update(++done, ''),
    },
  });
  (bar as ProgressBar | null)?.finish();
  const written = writeClaimsReport(results, args.out);
  if (args.json) stdout.write(JSON.stringify(results, null, 2) + '\n');
  else
    stdout.write(
      `${claimsTable(results.rows)}\n\n${results.rows.map((r) => `- ${rowSentence(r)}`).join('\n')}\n\nReport: ${written.files.markdown}, ${written.files.html}, ${written.files.json}\n`,
    );
  return 0;
}

export function settingsFromArgs(args: CompareArgs): RunSettings {
  return {
    seeds: Array.from({ length: args.seeds }, (_, i) => i + 1),
    epochs: args.epochs,
    units: args.units,
    layers: args.layers,
    match: args.match,
    priority: args.priority,
    budgetSeconds: args.budgetSeconds,
    full: args.full,
    ...(args.cells.includes('rnn') ? { cells: [...args.cells] } : {}),
  };
}

export function tasksFromArgs(args: CompareArgs, load: (id: BuiltinTask, full: boolean) => TaskSpec = loadTask): TaskSpec[] {
  const tasks = args.tasks.map((id) => load(id as BuiltinTask, args.full));
  if (args.csv) tasks.push(userForecastTask(args.csv.file, args.csv.target, args.csv.window, args.full));
  if (args.text) tasks.push(userTextTask(args.text.file, args.text.label, args.full, args.text.maxTokens ?? undefined));
  return tasks;
}

const MERGE_OPTIONS: Readonly<Record<string, OptionKind>> = { out: 'string', json: 'flag', help: 'flag' };

/** `compare merge DIR... --out DIR [--json]`: the shards' results -> one run's report. */
function mergeCommand(argv: readonly string[], stdout: ProgressStream, stderr: ProgressStream): number {
  let parsed: ParsedArgs;
  try {
    parsed = parseCommandArgs(argv, MERGE_OPTIONS, { positionals: true, command: 'compare merge' });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`gatedrnn compare merge: ${err.message}\n`);
    return 2;
  }
  if (parsed.options.has('help')) {
    stdout.write(
      'Usage: gatedrnn compare merge DIR... --out DIR [--json]\n\nMerges the results.json of every shard (compare --shard K/N) into the report one run would have written.\n',
    );
    return 0;
  }
  const dirs = parsed.positionals;
  const out = parsed.options.get('out')?.[0];
  const json = parsed.options.has('json');
  if (out === '') {
    stderr.write('gatedrnn compare merge: expected --out to be a folder path, but received ""\n');
    return 2;
  }
  if (out === undefined || dirs.length === 0) {
    stderr.write(
      `gatedrnn compare merge: expected shard folders and --out DIR, but received ${dirs.length === 0 ? 'no shard folder' : 'no --out'}\n`,
    );
    return 2;
  }
  try {
    const results = mergeShards(dirs.map(readShard));
    const verdicts = recommend(results, { priority: results.settings.priority });
    const written = writeReport(results, out, verdicts);
    if (json) stdout.write(JSON.stringify(results, null, 2) + '\n');
    else
      stdout.write(
        `${terminalReport(results, verdicts)}\n\nReport: ${written.files.markdown}, ${written.files.html}, ${written.files.json}\n`,
      );
    return 0;
  } catch (err) {
    stderr.write(`gatedrnn compare merge: ${(err as Error).message}\n`);
    return err instanceof MergeError ? 2 : 1;
  }
}

/**
 * Runs the command and resolves to its exit code: 0 done, 2 bad arguments, 1 any other failure
 * (the message goes to stderr). The report lands in --out; stdout gets the final tables, or
 * results.json with --json.
 */
export async function compareCommand(argv: readonly string[], deps: CompareDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  if (argv[0] === 'merge') return mergeCommand(argv.slice(1), stdout, stderr);
  let args: CompareArgs;
  try {
    args = parseCompareArgs(argv, deps.env);
  } catch (err) {
    if (err instanceof CompareArgsError) {
      stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.help) {
    stdout.write(COMPARE_USAGE);
    return 0;
  }
  try {
    // Every missing data package in one message, rather than one per failed run.
    if (!deps.loadTask || deps.isInstalled) checkDataPackages(args.tasks, deps.isInstalled);
    if (args.claims) return await claimsCommand(args, deps, stdout, stderr);
    const tasks = tasksFromArgs(args, deps.loadTask);
    const settings = settingsFromArgs(args);
    const shard = args.shard ?? undefined;
    const bar = new ProgressBar(stderr, { total: modelCount(tasks, settings, shard), disabled: args.json });
    let done = 0;
    const results: ComparisonResults = await runComparison({
      tasks,
      settings,
      trainAndMeasure: deps.trainAndMeasure,
      machine: deps.machine,
      now: deps.now,
      timing: deps.timing,
      shard,
      events: {
        onModelStart: ({ task, cell, seed, index }) => {
          done = index;
          bar.update(
            done,
            `${task.meta.id} ${cell.cell.toUpperCase()} seed ${seed}${cell.learningRate !== undefined ? ` lr ${cell.learningRate}` : ''}`,
          );
        },
        onEpoch: ({ task, cell, seed, epoch }) =>
          bar.update(
            done + Math.min(1, epoch / cell.epochs) * 0.999,
            `${task.meta.id} ${cell.cell.toUpperCase()} seed ${seed} epoch ${epoch}/${cell.epochs}`,
          ),
        onModelEnd: () => bar.update(done + 1, ''),
        onTiming: ({ task }) => bar.update(done + 1, `${task.meta.id} timing GRU and LSTM inference, interleaved`),
      },
    });
    bar.finish();
    if (shard) {
      // One shard's runs are not a comparison: the report waits for `compare merge`.
      const file = writeShardResults(results, args.out);
      if (args.json) stdout.write(JSON.stringify(results, null, 2) + '\n');
      else
        stdout.write(
          `Shard ${shard.index}/${shard.count}: ${results.shard!.units.length} units (${results.shard!.units.map((u) => `${u.task} seed ${u.seed}`).join(', ')}).\nResults: ${file}; gatedrnn compare merge DIR... --out DIR writes the report once every shard has run.\n`,
        );
      return 0;
    }
    const verdicts = recommend(results, { priority: settings.priority });
    const written = writeReport(results, args.out, verdicts);
    if (args.json) {
      stdout.write(JSON.stringify(results, null, 2) + '\n');
    } else {
      stdout.write(
        `${terminalReport(results, verdicts)}\n\nReport: ${written.files.markdown}, ${written.files.html}, ${written.files.json}\n`,
      );
    }
    return 0;
  } catch (err) {
    stderr.write(`gatedrnn compare: ${(err as Error).message}\n`);
    return 1;
  }
}

// `gatedrnn compare`: arguments -> tasks -> runs -> report. The trainer is injected so the CLI
// can wire the real models while tests use a fake one.
import { checkDataPackages } from '../data/packages';
import { BuiltinTask, loadTask, TaskSpec, userForecastTask, userTextTask } from '../tasks';
import { ClaimId, ClaimsOptions, ClaimsResults, runClaims } from './claims';
import { claimsTable, rowSentence, writeClaimsReport } from './claims-report';
import { CompareArgs, CompareArgsError, COMPARE_USAGE, parseCompareArgs } from './cli-args';
import { InterleaveOptions } from './measure';
import { ProgressBar, ProgressStream } from './progress';
import { recommend } from './recommend';
import { terminalReport, writeReport } from './report';
import { ComparisonResults, MachineInfo, RunSettings } from './results';
import { modelCount, runComparison, TrainAndMeasure } from './runner';

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
        bar.update(done, `claims: ${job.kind}${'cell' in job ? ` ${job.cell.toUpperCase()}` : ''}${'seed' in job ? ` seed ${job.seed}` : ''}`);
      },
      onJobEnd: () => bar?.update(++done, ''),
    },
  });
  (bar as ProgressBar | null)?.finish();
  const written = writeClaimsReport(results, args.out);
  if (args.json) stdout.write(JSON.stringify(results, null, 2) + '\n');
  else stdout.write(`${claimsTable(results.rows)}\n\n${results.rows.map((r) => `- ${rowSentence(r)}`).join('\n')}\n\nReport: ${written.files.markdown}, ${written.files.html}, ${written.files.json}\n`);
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

/**
 * Runs the command and resolves to its exit code: 0 done, 2 bad arguments, 1 any other failure
 * (the message goes to stderr). The report lands in --out; stdout gets the final tables, or
 * results.json with --json.
 */
export async function compareCommand(argv: readonly string[], deps: CompareDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  let args: CompareArgs;
  try {
    args = parseCompareArgs(argv);
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
    const bar = new ProgressBar(stderr, { total: modelCount(tasks, settings), disabled: args.json });
    let done = 0;
    const results: ComparisonResults = await runComparison({
      tasks,
      settings,
      trainAndMeasure: deps.trainAndMeasure,
      machine: deps.machine,
      now: deps.now,
      timing: deps.timing,
      events: {
        onModelStart: ({ task, cell, seed, index }) => {
          done = index;
          bar.update(done, `${task.meta.id} ${cell.cell.toUpperCase()} seed ${seed}${cell.learningRate !== undefined ? ` lr ${cell.learningRate}` : ''}`);
        },
        onEpoch: ({ task, cell, seed, epoch }) => bar.update(done + Math.min(1, epoch / cell.epochs) * 0.999, `${task.meta.id} ${cell.cell.toUpperCase()} seed ${seed} epoch ${epoch}/${cell.epochs}`),
        onModelEnd: () => bar.update(done + 1, ''),
        onTiming: ({ task }) => bar.update(done + 1, `${task.meta.id} timing GRU and LSTM inference, interleaved`),
      },
    });
    bar.finish();
    const verdicts = recommend(results, { priority: settings.priority });
    const written = writeReport(results, args.out, verdicts);
    if (args.json) {
      stdout.write(JSON.stringify(results, null, 2) + '\n');
    } else {
      stdout.write(`${terminalReport(results, verdicts)}\n\nReport: ${written.files.markdown}, ${written.files.html}, ${written.files.json}\n`);
    }
    return 0;
  } catch (err) {
    stderr.write(`gatedrnn compare: ${(err as Error).message}\n`);
    return 1;
  }
}

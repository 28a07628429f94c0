// Runs the claims jobs: in child processes of one thread each, side by side (small models train
// faster as two one-thread jobs than as one two-thread job on a small machine), or in this
// process when no compiled worker is at hand (tests) or when asked to.
import { type ChildProcess, fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ClaimJob, type ClaimJobResult, runClaimJob } from './claims-jobs';

export interface PoolEvents {
  onJobStart?(job: ClaimJob, index: number): void;
  onJobEnd?(job: ClaimJob, index: number): void;
}

/** The compiled worker beside this file (dist/compare/claims-worker.js), or null under ts-jest. */
export function workerScript(): string | null {
  const file = path.join(__dirname, 'claims-worker.js');
  return fs.existsSync(file) ? file : null;
}

interface Worker {
  child: ChildProcess;
  busy: boolean;
}

/**
 * Runs `jobs` with at most `parallel` at a time, each child on one thread, and resolves to their
 * results in job order. In process (or with no compiled worker) they run one after another.
 */
export async function runJobs(
  jobs: readonly ClaimJob[],
  parallel: number,
  events: PoolEvents = {},
  inProcess = false,
): Promise<ClaimJobResult[]> {
  const script = inProcess ? null : workerScript();
  const results: ClaimJobResult[] = new Array(jobs.length);
  if (script === null) {
    for (const [i, job] of jobs.entries()) {
      events.onJobStart?.(job, i);
      results[i] = await runClaimJob(job);
      events.onJobEnd?.(job, i);
    }
    return results;
  }
  const workers: Worker[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      let failed = false;
      const start = (w: Worker): void => {
        if (failed) return;
        if (next >= jobs.length) {
          if (running === 0) resolve();
          return;
        }
        const i = next++;
        const job = jobs[i];
        w.busy = true;
        running++;
        events.onJobStart?.(job, i);
        const onMessage = (msg: { ok: boolean; result?: ClaimJobResult; error?: string }) => {
          w.child.off('exit', onExit);
          w.busy = false;
          running--;
          if (!msg.ok) {
            failed = true;
            reject(new Error(`claims job ${job.kind} failed: ${msg.error}`));
            return;
          }
          results[i] = msg.result as ClaimJobResult;
          events.onJobEnd?.(job, i);
          start(w);
        };
        const onExit = (code: number | null) => {
          failed = true;
          reject(new Error(`claims worker exited (code ${code}) during a ${job.kind} job`));
        };
        w.child.once('message', onMessage);
        w.child.once('exit', onExit);
        w.child.send(job);
      };
      for (let k = 0; k < Math.min(parallel, jobs.length); k++) {
        const child = fork(script, [], { env: { ...process.env, GATEDRNN_THREADS: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        workers.push({ child, busy: false });
      }
      for (const w of workers) start(w);
    });
  } finally {
    for (const w of workers) w.child.kill();
  }
  return results;
}

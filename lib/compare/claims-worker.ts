// A child process of the claims pool: runs the jobs it is sent, one at a time, and replies with
// each result (or the error's message).
import { type ClaimJob, runClaimJob } from './claims-jobs';

process.on('message', (job: ClaimJob) => {
  runClaimJob(job).then(
    (result) => process.send!({ ok: true, result }),
    (err: Error) => process.send!({ ok: false, error: err?.stack ?? String(err) }),
  );
});

#!/usr/bin/env python3
"""Training throughput of the Keras text classifier in PyTorch (CPU), for bench/train.js.

Embedding(vocab, 128) -> GRU/LSTM 128 (all steps) -> GRU/LSTM 128 (last step) -> Linear 64 + ReLU
-> Linear 46, softmax cross-entropy on integer labels, Adam. One training step is forward,
backward and the optimizer update on one batch. Prints one JSON object on stdout:
{"torch": version, "threads": n, "stepSeconds": [...], "lossFirst": x, "lossLast": y,
"cpuSeconds": CPU time of the process, all threads, "blas": see loaded_blas}.
With --probe-blas it only prints {"torch": version, "blas": ...}: which BLAS this torch runs on.
The threads of the BLAS library itself are set by the caller (OPENBLAS_NUM_THREADS and the like).
The data are synthetic (seeded), like the other engines'; only the time matters here.
"""

import argparse
import json
import os
import re
import sys
import time

# File names of the shared libraries that can provide BLAS to torch.
BLAS_FILE = re.compile(r"blas|mkl|blis|atlas", re.IGNORECASE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--probe-blas", action="store_true", help="print which BLAS torch loaded and exit")
    p.add_argument("--cell", choices=["gru", "lstm"])
    p.add_argument("--threads", type=int)
    p.add_argument("--steps", type=int, default=10, help="timed training steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--budget", type=float, default=None, help="seconds after which to stop once one step is timed")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--dense", type=int, default=64)
    p.add_argument("--classes", type=int, default=46)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def loaded_blas(torch):
    """The BLAS libraries mapped into this process (symlinks resolved) and torch's build summary.

    A matrix product runs first, so a library loaded on first use is mapped too.
    """
    torch.ones(8, 8) @ torch.ones(8, 8)
    files = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) >= 6 and BLAS_FILE.search(os.path.basename(fields[5])):
                    files.add(os.path.realpath(fields[5]))
    except OSError:
        pass  # no /proc (not Linux): the build summary alone says what it can
    return {"files": sorted(files), "config": torch.__config__.show()}


def main():
    args = parse_args()
    import torch
    from torch import nn

    if args.probe_blas:
        json.dump({"torch": torch.__version__, "blas": loaded_blas(torch)}, sys.stdout)
        sys.stdout.write("\n")
        return
    if args.cell is None or args.threads is None:
        sys.exit("train_torch.py: --cell and --threads are required")

    torch.set_num_threads(args.threads)
    # One inter-op thread: the other engines run one op at a time too.
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    rnn = nn.GRU if args.cell == "gru" else nn.LSTM

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(args.vocab, args.embed)
            self.rnn1 = rnn(args.embed, args.units, batch_first=True)
            self.rnn2 = rnn(args.units, args.units, batch_first=True)
            self.hidden = nn.Linear(args.units, args.dense)
            self.out = nn.Linear(args.dense, args.classes)

        def forward(self, x):
            y, _ = self.rnn1(self.embed(x))
            y, _ = self.rnn2(y)
            # Logits: CrossEntropyLoss applies the log-softmax, as Keras's softmax + loss does.
            return self.out(torch.relu(self.hidden(y[:, -1])))

    model = Classifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    steps = args.warmup + args.steps
    x = torch.randint(1, args.vocab, (steps, args.batch, args.seq), dtype=torch.long)
    y = torch.randint(0, args.classes, (steps, args.batch), dtype=torch.long)

    times = []
    losses = []
    started = time.perf_counter()
    for s in range(steps):
        if args.budget is not None and times and time.perf_counter() - started > args.budget:
            break
        t0 = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x[s]), y[s])
        loss.backward()
        optimizer.step()
        value = loss.item()  # synchronizes, like reading the loss in the other engines
        t1 = time.perf_counter()
        losses.append(value)
        if s >= args.warmup:
            times.append(t1 - t0)

    json.dump(
        {
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
            "stepSeconds": times,
            "lossFirst": losses[0],
            "lossLast": losses[-1],
            "cpuSeconds": time.process_time(),
            "blas": loaded_blas(torch),
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

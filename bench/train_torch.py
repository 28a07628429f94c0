#!/usr/bin/env python3
"""Training throughput of the Keras text classifier in PyTorch (CPU), for bench/train.js.

Embedding(vocab, 128) -> GRU/LSTM 128 (all steps) -> GRU/LSTM 128 (last step) -> Linear 64 + ReLU
-> Linear 46, softmax cross-entropy on integer labels, Adam. One training step is forward,
backward and the optimizer update on one batch. Prints one JSON object on stdout:
{"torch": version, "threads": n, "stepSeconds": [...], "lossFirst": x, "lossLast": y,
"cpuSeconds": CPU time of the process, all threads}.
The data are synthetic (seeded), like the other engines'; only the time matters here.
"""

import argparse
import json
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cell", choices=["gru", "lstm"], required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--steps", type=int, default=10, help="timed training steps")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=100)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--dense", type=int, default=64)
    p.add_argument("--classes", type=int, default=46)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def main():
    args = parse_args()
    import torch
    from torch import nn

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
    for s in range(steps):
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
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

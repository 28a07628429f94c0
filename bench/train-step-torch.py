# PyTorch CPU counterpart of bench/train-step.js: median ms of one forward + backward of nn.GRU
# and nn.LSTM (sum(Y * dY) as the loss), printed as JSON. Args: threads T B I H.
import json
import sys
import time

import torch

threads, T, B, I, H = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)


def step_ms(layer):
    x = torch.randn(T, B, I)
    dy = torch.randn(T, B, H)
    times = []
    for i in range(25):
        layer.zero_grad()
        t0 = time.perf_counter()
        y, _ = layer(x.requires_grad_())
        y.backward(dy)
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2]


print(json.dumps({"gru": step_ms(torch.nn.GRU(I, H)), "lstm": step_ms(torch.nn.LSTM(I, H))}))

#!/usr/bin/env python3
"""PyTorch (CPU) reference for the workload rows of ../shared/BENCH.md: the same networks as enas-bench's W1s, W1p
and W4, one full training step each, timed the way enas-bench times them.

    python3 bench/pytorch_reference.py [--workload W1s] [--threads 1,2] [--min-time 5] [--min-samples 5]

Prints one JSON line per (workload, threads). bench/run.py imports `measure_workload` from here and runs it in a
child process. torch is optional for the project: nothing but the benchmark imports this file.
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

W1_ARCH = "0 0 0 1 1 2 1 2 0 2 0 5 1 1 0 6 1 8 1 8 1 8 1"
W1 = {"W1s": dict(hidden=256, batch=32, params=4_263_936, flops=28.65e9),
      "W1p": dict(hidden=1000, batch=64, params=36_000_000, flops=483.84e9)}
ACTIVATIONS = [torch.tanh, torch.relu, lambda x: x, torch.sigmoid]   # first-code form: 0 tanh, 1 ReLU, 2 id, 3 σ


def measure(body, min_time, min_samples=5):
    """Median seconds per call of body() after a warm-up call (as enas-bench's measure)."""
    body()
    start = time.perf_counter()
    body()
    once = max(time.perf_counter() - start, 1e-9)
    repeats = max(1, int(-(-0.05 // once)))
    samples = []
    deadline = time.perf_counter() + min_time
    while len(samples) < min_samples or (time.perf_counter() < deadline and len(samples) < 1000):
        start = time.perf_counter()
        for _ in range(repeats):
            body()
        samples.append((time.perf_counter() - start) / repeats)
    samples.sort()
    return samples[len(samples) // 2], len(samples) * repeats


# ---------------------------------------------------------------------------------------------------------------
# W1: the fixed recurrent cell (the authors' ptb_enas_child.py _rhn_fixed)

def parse_first_code(text):
    ints = [int(t) for t in text.split()]
    first = ints[0]
    nodes = [(ints[i], ints[i + 1]) for i in range(1, len(ints), 2)]       # (previous, activation) for nodes 1..N-1
    read = {p for p, _ in nodes}
    loose = [i for i in range(1, len(nodes) + 1) if i not in read]
    return first, nodes, loose


class RecurrentModel(torch.nn.Module):
    def __init__(self, hidden, vocabulary=10_000, init_scale=0.04):
        super().__init__()
        self.first, self.nodes, self.loose = parse_first_code(W1_ARCH)
        assert self.loose == [3, 4, 7, 9, 10, 11], self.loose
        h = hidden
        u = lambda *shape: torch.nn.Parameter(torch.empty(*shape).uniform_(-init_scale, init_scale))
        self.embedding = u(vocabulary, h)                        # tied with the softmax
        self.w0 = u(2 * h, 2 * h)                                # [x_t, h_{t-1}] -> (h, c)
        self.w = torch.nn.ParameterList([u(h, 2 * h) for _ in self.nodes])
        self.hidden = h

    def cell(self, x, h_prev):
        h = self.hidden
        hc = torch.cat([x, h_prev], 1) @ self.w0
        cand, gate = hc[:, :h], hc[:, h:]
        s = h_prev + torch.sigmoid(gate) * (ACTIVATIONS[self.first](cand) - h_prev)
        states = [s]
        for (previous, f), w in zip(self.nodes, self.w):
            p = states[previous]
            hc = p @ w
            cand, gate = hc[:, :h], hc[:, h:]
            states.append(p + torch.sigmoid(gate) * (ACTIVATIONS[f](cand) - p))
        out = states[self.loose[0]]
        for i in self.loose[1:]:
            out = out + states[i]
        return out * (1.0 / len(self.loose))

    def forward(self, inputs, targets, hidden):
        """inputs, targets (B, T) token ids; hidden (B, H). Returns (summed CE / B, last hidden)."""
        b, t = inputs.shape
        x = F.embedding(inputs, self.embedding)                 # (B, T, H)
        outputs = []
        state = hidden
        for step in range(t):
            state = self.cell(x[:, step], state)
            outputs.append(state)
        top = torch.stack(outputs, 1).reshape(b * t, self.hidden)
        logits = top @ self.embedding.t()
        loss = F.cross_entropy(logits, targets.reshape(b * t), reduction="sum") / b
        return loss, state


def w1_step_fn(workload):
    spec = W1[workload]
    torch.manual_seed(1)
    model = RecurrentModel(spec["hidden"])
    count = sum(p.numel() for p in model.parameters())
    assert count == spec["params"], f"{workload}: PyTorch parameter count {count} != BENCH.md {spec['params']}"
    b, t, windows = spec["batch"], 35, 16
    g = torch.Generator().manual_seed(2)
    stream = torch.randint(0, 10_000, (b, windows * t + 1), generator=g)
    data = [(stream[:, k * t:(k + 1) * t].contiguous(), stream[:, k * t + 1:(k + 1) * t + 1].contiguous())
            for k in range(windows)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.25)
    params = list(model.parameters())
    state = dict(hidden=torch.zeros(b, spec["hidden"]), next=0, loss=0.0)

    def step():
        inputs, targets = data[state["next"] % windows]
        loss, last = model(inputs, targets, state["hidden"])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        optimizer.step()
        state["hidden"] = last.detach()
        state["next"] += 1
        state["loss"] = loss.item()

    return step, count, spec


# ---------------------------------------------------------------------------------------------------------------
# W4: the controller (the authors' ptb_enas_controller.py), recurrent space, 12 nodes, node 0's activation sampled

class Controller(torch.nn.Module):
    def __init__(self, size=100, nodes=12, activations=4, temperature=5.0, tanh_constant=2.5, init_scale=0.1):
        super().__init__()
        u = lambda *shape: torch.nn.Parameter(torch.empty(*shape).uniform_(-init_scale, init_scale))
        self.lstm = u(2 * size, 4 * size)          # one layer, no bias, over [x, h]
        self.g_emb = u(1, size)
        self.w_emb = u(activations, size)
        self.w_soft = u(size, activations)
        self.w1 = u(size, size)
        self.w2 = u(size, size)
        self.v = u(size, 1)
        self.size, self.nodes = size, nodes
        self.temperature, self.tanh_constant = temperature, tanh_constant

    def lstm_step(self, x, h, c):
        gates = torch.cat([x, h], 1) @ self.lstm
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def squash(self, logits):
        return self.tanh_constant * torch.tanh(logits / self.temperature)

    def pick(self, logits):
        log_p = F.log_softmax(logits, -1)
        p = log_p.exp()
        choice = int(torch.multinomial(p.detach(), 1).item())
        entropy = float(-(p * log_p).sum().detach())
        return choice, log_p[0, choice], entropy

    def sample(self):
        h = c = torch.zeros(1, self.size)
        x = self.g_emb
        anchors, projected, log_ps, entropy, arch = [], [], [], 0.0, []
        # node 0's activation
        h, c = self.lstm_step(x, h, c)
        choice, log_p, ent = self.pick(self.squash(h @ self.w_soft))
        arch.append(choice); log_ps.append(log_p); entropy += ent
        x = self.w_emb[choice:choice + 1]
        anchors.append(h); projected.append(h @ self.w1)
        for k in range(1, self.nodes):
            # index: attention over earlier nodes with the (k - j)^2 / 6 distance prior
            h, c = self.lstm_step(x, h, c)
            scores = torch.tanh(torch.cat(projected, 0) + h @ self.w2) @ self.v     # (k, 1)
            logits = self.squash(scores.reshape(1, k))
            prior = torch.tensor([[-((k - j) ** 2) / 6.0 for j in range(k)]])
            j, log_p, ent = self.pick(logits + prior)
            arch.append(j); log_ps.append(log_p); entropy += ent
            x = anchors[j] * (1.0 / (0.1 + (k - j)))
            anchors.append(h); projected.append(h @ self.w1)
            # activation
            h, c = self.lstm_step(x, h, c)
            choice, log_p, ent = self.pick(self.squash(h @ self.w_soft))
            arch.append(choice); log_ps.append(log_p); entropy += ent
            x = self.w_emb[choice:choice + 1]
        return arch, torch.stack(log_ps).sum(), entropy


def w4_step_fn():
    torch.manual_seed(4)
    controller = Controller()
    count = sum(p.numel() for p in controller.parameters())
    assert count == 101_000, f"W4: PyTorch parameter count {count} != BENCH.md 101,000"
    optimizer = torch.optim.Adam(controller.parameters(), lr=1e-3, betas=(0.0, 0.999), eps=1e-3)
    g = torch.Generator().manual_seed(6)
    state = dict(baseline=None)

    def step():
        arch, log_p, entropy = controller.sample()
        ppl = 60.0 + 100.0 * float(torch.rand(1, generator=g))
        reward = 80.0 / ppl + 1e-3 * entropy
        b = reward if state["baseline"] is None else state["baseline"]
        b -= (1 - 0.99) * (b - reward)
        state["baseline"] = b
        loss = -(reward - b) * log_p
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step, count


# ---------------------------------------------------------------------------------------------------------------

def measure_workload(workload, threads, min_time, min_samples=5):
    """One result dict shaped like enas-bench's JSON line."""
    torch.set_num_threads(threads)
    if workload in W1:
        step, count, spec = w1_step_fn(workload)
        seconds, calls = measure(step, min_time, min_samples)
        tokens = spec["batch"] * 35
        return dict(row=workload, threads=threads, value=tokens / seconds, unit="tokens/s", seconds=seconds,
                    calls=calls, step_ms=seconds * 1e3, gflops=spec["flops"] / seconds / 1e9, params=count,
                    note=f"torch {torch.__version__}")
    if workload == "W4":
        step, count = w4_step_fn()
        seconds, calls = measure(step, min_time, min_samples)
        return dict(row=workload, threads=threads, value=1 / seconds, unit="arch/s", seconds=seconds, calls=calls,
                    step_ms=seconds * 1e3, params=count, note=f"torch {torch.__version__}")
    raise ValueError(f"unknown workload {workload}")


def child():
    """Child process for bench/run.py: a header line, then one result line per {"row", "threads", "min_time",
    "min_samples"} line on stdin."""
    print(json.dumps({"torch": torch.__version__, "mkl": torch.backends.mkl.is_available(),
                      "mkldnn": torch.backends.mkldnn.is_available(),
                      "max_threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        item = json.loads(line)
        print(json.dumps(measure_workload(item["row"], item["threads"], item["min_time"], item["min_samples"])),
              flush=True)


def main():
    if sys.argv[1:] == ["--child"]:
        child()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append", default=[], help="W1s, W1p, W4 (default: all)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--min-time", type=float, default=5.0)
    parser.add_argument("--min-samples", type=int, default=5)
    args = parser.parse_args()
    for workload in args.workload or ["W1s", "W1p", "W4"]:
        for threads in [int(t) for t in args.threads.split(",")]:
            print(json.dumps(measure_workload(workload, threads, args.min_time, args.min_samples)), flush=True)


if __name__ == "__main__":
    main()

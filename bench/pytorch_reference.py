#!/usr/bin/env python3
"""PyTorch (CPU) reference for the workload rows of ../shared/BENCH.md: the same networks as enas-bench's W1s, W1p,
W4, W2, W2f and W3, one full training step each, timed the way enas-bench times them. The CNN rows (W2, W2f, W3)
run in both NCHW and channels-last memory formats and report the faster (both are in the JSON line).

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
# W2, W2f, W3: the CNN children, built as ENASCore builds them (Sources/ENASCore/SearchSpaces/MicroCNN,
# MacroCNN, Layers): convolutions without bias, BN with scale and offset, the linear head without bias. Only the
# child's modules are built, so the parameter count is the child's (BENCH.md's 529,300 / 608,540 / 253,296).

MICRO_NORMAL = "0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1"
MICRO_REDUCE = "1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1"
MACRO_ARCH = ("0 | 3 0 | 0 1 0 | 2 0 0 1 | 2 0 0 0 0 | 3 1 1 0 1 0 | 2 0 0 0 0 0 1 | 2 0 1 1 0 1 1 1 | "
              "1 0 1 1 1 0 1 0 1 | 0 0 0 0 0 0 0 0 0 0 | 2 0 0 0 0 0 1 0 0 0 0 | 0 1 0 0 1 1 0 0 0 0 1 1")
CNN = {"W2": dict(params=529_300), "W2f": dict(params=608_540), "W3": dict(params=253_296)}
SEP3, SEP5, AVG, MAX, IDENTITY = range(5)                      # micro op codes
CONV3, MSEP3, CONV5, MSEP5, MAVG, MMAX = range(6)              # macro op codes


def parse_micro_cell(text):
    ints = [int(t) for t in text.split()]
    return [(ints[i], ints[i + 1], ints[i + 2], ints[i + 3]) for i in range(0, len(ints), 4)]


def loose_ends(cell):
    read = {i - 2 for block in cell for i in (block[0], block[2]) if i >= 2}
    return [b for b in range(len(cell)) if b not in read]


def conv(cin, cout, k, stride=1):
    return torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


def bn(c):
    return torch.nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)    # ENASCore: running ← 0.9·running + 0.1·batch


def avg_pool(x, stride=1):
    return F.avg_pool2d(x, 3, stride, 1, count_include_pad=False)


def max_pool(x, stride=1):
    return F.max_pool2d(x, 3, stride, 1)


class FactorizedReduction(torch.nn.Module):
    """Layers/FactorizedReduction.swift: 1×1 convs on x[::2, ::2] and on x shifted up-left by one pixel, concat, BN."""

    def __init__(self, cin, cout):
        super().__init__()
        self.path1, self.path2 = conv(cin, cout // 2, 1), conv(cin, cout - cout // 2, 1)
        self.norm = bn(cout)

    def forward(self, x):
        shifted = F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        return self.norm(torch.cat([self.path1(x[:, :, ::2, ::2]), self.path2(shifted[:, :, ::2, ::2])], 1))


class ReLUConvBN(torch.nn.Module):
    def __init__(self, cin, cout, k=1):
        super().__init__()
        self.conv, self.norm = conv(cin, cout, k), bn(cout)

    def forward(self, x):
        return self.norm(self.conv(F.relu(x)))


class SeparableConv(torch.nn.Module):
    """Layers/SeparableConv2D.swift: depthwise k×k (carrying the stride), then pointwise 1×1."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.depthwise = torch.nn.Conv2d(cin, cin, k, stride=stride, padding=k // 2, groups=cin, bias=False)
        self.pointwise = conv(cin, cout, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class SeparableStack(torch.nn.Module):
    """MicroCNN/SeparableStack.swift: (ReLU, separable conv, BN) twice; the first carries the stride."""

    def __init__(self, c, k, stride=1):
        super().__init__()
        self.convs = torch.nn.ModuleList([SeparableConv(c, c, k, stride), SeparableConv(c, c, k)])
        self.norms = torch.nn.ModuleList([bn(c), bn(c)])

    def forward(self, x):
        for c, n in zip(self.convs, self.norms):
            x = n(c(F.relu(x)))
        return x


class SharedMicroCell(torch.nn.Module):
    """MicroCNN/SharedMicroCell.swift for one child: calibrated inputs, stride-1 ops, loose ends → ReLU–1×1
    conv–BN back to C (one conv over the concatenation, as the authors'; Swift keeps one C×C slice per loose end and
    sums them, the same weights and arithmetic)."""

    def __init__(self, cell, c, in0, larger, in1):
        super().__init__()
        self.cell, self.loose = cell, loose_ends(cell)
        self.reduce0 = FactorizedReduction(in0, c) if larger else None
        self.calibrate0 = ReLUConvBN(in0, c) if not larger and in0 != c else None
        self.calibrate1 = ReLUConvBN(in1, c) if in1 != c else None
        self.ops = torch.nn.ModuleDict()
        for b, (i1, o1, i2, o2) in enumerate(cell):
            for slot, op in ((0, o1), (1, o2)):
                if op in (SEP3, SEP5):
                    self.ops[f"{b}_{slot}"] = SeparableStack(c, 3 if op == SEP3 else 5)
        self.final_conv = conv(c * len(self.loose), c, 1)
        self.final_norm = bn(c)

    def forward(self, x0, x1):
        if self.reduce0 is not None:
            x0 = self.reduce0(F.relu(x0))
        if self.calibrate0 is not None:
            x0 = self.calibrate0(x0)
        if self.calibrate1 is not None:
            x1 = self.calibrate1(x1)
        nodes = [x0, x1]
        for b, (i1, o1, i2, o2) in enumerate(self.cell):
            pair = []
            for slot, (i, op) in enumerate(((i1, o1), (i2, o2))):
                x = nodes[i]
                if op in (SEP3, SEP5):
                    x = self.ops[f"{b}_{slot}"](x)
                elif op == AVG:
                    x = avg_pool(x)
                elif op == MAX:
                    x = max_pool(x)
                pair.append(x)
            nodes.append(pair[0] + pair[1])
        merged = torch.cat([F.relu(nodes[b + 2]) for b in self.loose], 1)
        return self.final_norm(self.final_conv(merged))


class SharedMicroChild(torch.nn.Module):
    """MicroCNN/SharedMicroNetwork.swift: stem 3×3 conv to 3C + BN, L + 2 cells (reductions at p and 2p + 1 with
    a factorized reduction of cell k−1's output before them), ReLU, global average pool, linear without bias."""

    def __init__(self, layers=6, c=20, classes=10):
        super().__init__()
        normal, reduce = parse_micro_cell(MICRO_NORMAL), parse_micro_cell(MICRO_REDUCE)
        self.stem, self.stem_norm = conv(3, 3 * c, 3), bn(3 * c)
        p = layers // 3
        self.reducing = [p, 2 * p + 1]
        cells, reductions = [], torch.nn.ModuleDict()
        c0, c1, out = 3 * c, 3 * c, c
        for k in range(layers + 2):
            reducing = k in self.reducing
            if reducing:
                out *= 2
                reductions[str(k)] = FactorizedReduction(c1, out)
                c0, c1 = c1, out
            cells.append(SharedMicroCell(reduce if reducing else normal, out, c0, reducing, c1))
            c0, c1 = c1, out
        self.cells, self.reductions = torch.nn.ModuleList(cells), reductions
        self.head = torch.nn.Linear(out, classes, bias=False)

    def forward(self, x):
        s = self.stem_norm(self.stem(x))
        previous = (s, s)
        for k, cell in enumerate(self.cells):
            if str(k) in self.reductions:
                previous = (previous[1], self.reductions[str(k)](previous[1]))
            previous = (previous[1], cell(previous[0], previous[1]))
        return self.head(F.relu(previous[1]).mean((2, 3)))


class FixedMicroCell(torch.nn.Module):
    """MicroCNN/FixedMicroCell.swift: calibrated inputs, ReLU–1×1 conv–BN on input 1, the blocks' ops (stride 2 on
    cell inputs in a reduction cell, where an identity becomes a factorized reduction), loose ends concatenated."""

    def __init__(self, cell, c, reducing, in0, larger, in1):
        super().__init__()
        self.cell, self.loose = cell, loose_ends(cell)
        self.reduce0 = FactorizedReduction(in0, c) if larger else None
        self.calibrate0 = ReLUConvBN(in0, c) if not larger and in0 != c else None
        self.calibrate1 = ReLUConvBN(in1, c) if in1 != c else None
        self.base = ReLUConvBN(c, c)
        self.ops = torch.nn.ModuleDict()
        self.kinds = []
        for b, (i1, o1, i2, o2) in enumerate(cell):
            kinds = []
            for slot, (i, op) in enumerate(((i1, o1), (i2, o2))):
                stride = 2 if reducing and i < 2 else 1
                if op in (SEP3, SEP5):
                    self.ops[f"{b}_{slot}"] = SeparableStack(c, 3 if op == SEP3 else 5, stride)
                elif op == IDENTITY and stride == 2:
                    self.ops[f"{b}_{slot}"] = FactorizedReduction(c, c)
                kinds.append((op, stride))
            self.kinds.append(kinds)
        self.out_channels = c * len(self.loose)

    def forward(self, x0, x1):
        if self.reduce0 is not None:
            x0 = self.reduce0(F.relu(x0))
        if self.calibrate0 is not None:
            x0 = self.calibrate0(x0)
        if self.calibrate1 is not None:
            x1 = self.calibrate1(x1)
        nodes = [x0, self.base(x1)]
        for b, (i1, o1, i2, o2) in enumerate(self.cell):
            pair = []
            for slot, i in enumerate((i1, i2)):
                op, stride = self.kinds[b][slot]
                x = nodes[i]
                key = f"{b}_{slot}"
                if key in self.ops:
                    x = self.ops[key](x)
                elif op == AVG:
                    x = avg_pool(x, stride)
                elif op == MAX:
                    x = max_pool(x, stride)
                pair.append(x)
            nodes.append(pair[0] + pair[1])
        return torch.cat([nodes[b + 2] for b in self.loose], 1) if len(self.loose) > 1 else nodes[self.loose[0] + 2]


class FixedMicroNetwork(torch.nn.Module):
    """MicroCNN/MicroNetwork.swift without auxiliary head, drop-path or head dropout (BENCH.md's W2f)."""

    def __init__(self, layers=6, c=20, classes=10):
        super().__init__()
        normal, reduce = parse_micro_cell(MICRO_NORMAL), parse_micro_cell(MICRO_REDUCE)
        self.stem, self.stem_norm = conv(3, 3 * c, 3), bn(3 * c)
        p = layers // 3
        cells = []
        c0, c1, out, larger = 3 * c, 3 * c, c, False
        for k in range(layers + 2):
            reducing = k in (p, 2 * p + 1)
            if reducing:
                out *= 2
            cell = FixedMicroCell(reduce if reducing else normal, out, reducing, c0, larger, c1)
            cells.append(cell)
            larger = reducing
            c0, c1 = c1, cell.out_channels
        self.cells = torch.nn.ModuleList(cells)
        self.head = torch.nn.Linear(c1, classes, bias=False)

    def forward(self, x):
        s = self.stem_norm(self.stem(x))
        previous = (s, s)
        for cell in self.cells:
            previous = (previous[1], cell(previous[0], previous[1]))
        return self.head(F.relu(previous[1]).mean((2, 3)))


class MacroBranch(torch.nn.Module):
    """MacroCNN/MacroBranch.swift: 1×1 conv–BN–ReLU, then k×k conv (or separable) –BN–ReLU, or a 3×3 pool."""

    def __init__(self, op, cin, c):
        super().__init__()
        self.op = op
        self.input_conv, self.input_norm = conv(cin, c, 1), bn(c)
        self.conv = None
        if op in (CONV3, CONV5):
            self.conv = conv(c, c, 3 if op == CONV3 else 5)
        elif op in (MSEP3, MSEP5):
            self.conv = SeparableConv(c, c, 3 if op == MSEP3 else 5)
        self.norm = bn(c) if self.conv is not None else None

    def forward(self, x):
        h = F.relu(self.input_norm(self.input_conv(x)))
        if self.op == MAVG:
            return avg_pool(h)
        if self.op == MMAX:
            return max_pool(h)
        return F.relu(self.norm(self.conv(h)))


class SharedMacroChild(torch.nn.Module):
    """MacroCNN/SharedMacroNetwork.swift for one child: stem 3×3 conv–BN, each layer's branch, layers ≥ 1 sum the
    selected skips and BN, after layers p−1 and 2p−1 every earlier output passes its own factorized reduction;
    global average pool, linear without bias."""

    def __init__(self, layers=12, c=36, classes=10):
        super().__init__()
        ints = [int(t) for t in MACRO_ARCH.replace("|", " ").split()]
        self.arch, position = [], 0
        for i in range(layers):
            self.arch.append((ints[position], [bool(b) for b in ints[position + 1:position + 1 + i]]))
            position += 1 + i
        assert position == len(ints)
        self.stem, self.stem_norm = conv(3, c, 3), bn(c)
        self.branches = torch.nn.ModuleList([MacroBranch(op, c, c) for op, _ in self.arch])
        self.skip_norms = torch.nn.ModuleList([bn(c) for _ in range(1, layers)])
        p = layers // 3
        self.reductions = torch.nn.ModuleDict({str(i): torch.nn.ModuleList([FactorizedReduction(c, c) for _ in range(i + 2)])
                                               for i in (p - 1, 2 * p - 1)})
        self.head = torch.nn.Linear(c, classes, bias=False)

    def forward(self, x):
        outputs = [self.stem_norm(self.stem(x))]
        for i, (_, skips) in enumerate(self.arch):
            y = self.branches[i](outputs[-1])
            if i > 0:
                for j, on in enumerate(skips):
                    if on:
                        y = y + outputs[j]
                y = self.skip_norms[i - 1](y)
            outputs.append(y)
            if str(i) in self.reductions:
                outputs = [reduce(o) for reduce, o in zip(self.reductions[str(i)], outputs)]
        return self.head(outputs[-1].mean((2, 3)))


def cnn_step_fn(workload, channels_last):
    torch.manual_seed(1)
    model = {"W2": SharedMicroChild, "W2f": FixedMicroNetwork, "W3": SharedMacroChild}[workload]()
    count = sum(p.numel() for p in model.parameters())
    expected = CNN[workload]["params"]
    assert count == expected, f"{workload}: PyTorch parameter count {count} != BENCH.md {expected}"
    model.train()
    batch, batches = 32, 4
    g = torch.Generator().manual_seed(2)
    data = [(torch.randn(batch, 3, 32, 32, generator=g), torch.randint(0, 10, (batch,), generator=g))
            for _ in range(batches)]
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        data = [(x.contiguous(memory_format=torch.channels_last), y) for x, y in data]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=2e-4)
    state = dict(next=0)

    def step():
        x, y = data[state["next"] % batches]
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state["next"] += 1

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
    if workload in CNN:
        # Both memory formats; the faster is the competitor (BENCH.md). Both are reported.
        runs = {}
        for layout, channels_last in (("NCHW", False), ("channels_last", True)):
            step, count = cnn_step_fn(workload, channels_last)
            runs[layout] = measure(step, min_time, min_samples)
        layout = min(runs, key=lambda name: runs[name][0])
        seconds, calls = runs[layout]
        return dict(row=workload, threads=threads, value=32 / seconds, unit="images/s", seconds=seconds, calls=calls,
                    step_ms=seconds * 1e3, params=count, layout=layout,
                    nchw_images_per_s=32 / runs["NCHW"][0], channels_last_images_per_s=32 / runs["channels_last"][0],
                    note=f"torch {torch.__version__}, {layout} (NCHW {32 / runs['NCHW'][0]:.1f}, channels-last "
                         f"{32 / runs['channels_last'][0]:.1f} images/s)")
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
    parser.add_argument("--workload", action="append", default=[], help="W1s, W1p, W4, W2, W2f, W3 (default: all)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--min-time", type=float, default=5.0)
    parser.add_argument("--min-samples", type=int, default=5)
    args = parser.parse_args()
    for workload in args.workload or ["W1s", "W1p", "W4", "W2", "W2f", "W3"]:
        for threads in [int(t) for t in args.threads.split(",")]:
            print(json.dumps(measure_workload(workload, threads, args.min_time, args.min_samples)), flush=True)


if __name__ == "__main__":
    main()

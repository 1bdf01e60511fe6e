#!/usr/bin/env python3
"""Where each pod's start went, from a GORCH_BENCH_KEEP=1 run of agent_bench.

usage: GORCH_BENCH_KEEP=1 bench/agent/run.sh DIR 2> err; bench/agent/breakdown.py err [N]
With N, only pods whose name ends in -1 .. -N (the ones started one at a time;
the burst's come after them).
Reads the per-pod latencies (and bind times) agent_bench printed on stderr and the
kept agent log it names, and prints p50/p90/p99/max of: bound -> RunPod (watch
delivery and the agent's sync loop), RunPod -> container started (the worker:
volumes, RunPodSandbox, CreateContainer, StartContainer, as the log line's call
times split it) and started -> Running seen by the watch (status report and the
server's write).
"""
import datetime
import re
import sys


def wall_ms(line):
    stamp = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    return stamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, -int(-p * len(values) // 1) - 1))]


def main():
    err = open(sys.argv[1]).read()
    first = int(sys.argv[2]) if len(sys.argv) > 2 else None
    kept = re.search(r'kept "?([^"\n]+)"?', err).group(1)
    run, started, calls = {}, {}, {}
    for line in open(kept + "/agent.log"):
        m = re.search(r"started pod \S+/(\S+) \(cri\)", line)
        if m:
            run[m.group(1)] = wall_ms(line)
        m = re.search(r"pod \S+/(\S+) container \S+ started \(\w+; sandbox (\d+) ms, create (\d+) ms, start (\d+) ms\)", line)
        if m:
            started[m.group(1)] = wall_ms(line)
            calls[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4))
    rows = []
    for m in re.finditer(r"^(\S+) ([\d.]+) ms \(bound at (\d+)", err, re.M):
        name, total, bound = m.group(1), float(m.group(2)), int(m.group(3))
        if first is not None and int(name.rsplit("-", 1)[1]) > first:
            continue
        if name in run and name in started:
            rows.append((total, run[name] - bound, started[name] - run[name], bound + total - started[name]) + calls[name])
    names = ["bound -> Running", "bound -> RunPod", "RunPod -> started", "started -> Running",
             "  RunPodSandbox", "  CreateContainer", "  StartContainer"]
    print(f"{len(rows)} pods")
    for i, name in enumerate(names):
        v = [r[i] for r in rows]
        print(f"{name:20} p50 {pct(v, .5):5.0f}  p90 {pct(v, .9):5.0f}  p99 {pct(v, .99):5.0f}  max {max(v):5.0f} ms")


if __name__ == "__main__":
    main()

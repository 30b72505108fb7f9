// request_short_slice(): asks the scheduler to run the calling thread in
// short slices (Linux >= 6.12: EEVDF's per-task slice, sched_attr's
// sched_runtime under SCHED_OTHER; 0.1 ms is the shortest it allows).
//
// Why: a thread that runs a few microseconds per wake-up and is waited on
// (a DNS worker: the client's query waits) gets an earlier deadline with
// a shorter slice, so when it wakes while a CPU-bound task runs on its core
// it preempts that task more often instead of waiting for the rest of its
// slice (0.75 ms x (1 + log2 CPUs) by default: 1.4 ms on a 2-CPU VM). It
// asks for no more CPU and no higher priority: the nice value and policy
// stay as they are, and no privilege is needed. Measured (docs/BENCHMARKS.md,
// Cluster DNS 2026-12-07, second part): 20,000 qps to one worker on a core
// that a busy loop shares, the same build with and without it alternating:
// p90 and p99 lower in 4 of 4 rounds (p99 3.4-3.8 ms against 4.0-5.1 ms);
// with the core otherwise idle, no change that the noise lets us see. Its
// price would be more preemptions when the worker itself is CPU-bound on a
// shared core: at full speed with the busy loop, CPU per query with/without
// 0.96-1.07 (4 rounds), qps within the same spread.
//
// Returns false where the kernel does not know sched_setattr or refuses
// the request; kernels before 6.12 keep no per-task slice and ignore
// sched_runtime under SCHED_OTHER. Either way the thread runs as before.
#pragma once

#include <cstdint>

namespace svcnat {

constexpr uint64_t kShortSliceNs = 100'000;

bool request_short_slice(uint64_t slice_ns = kShortSliceNs);

}  // namespace svcnat

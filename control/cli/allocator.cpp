// jemalloc's settings for the svcnat executable, read by jemalloc when it
// starts (it is linked in whenever the build finds it; see meson.build).
//
// Why jemalloc, and why these: `sync` and `run` build heaps of 100+ MB at
// 10,000 services from millions of small allocations, half of them on a
// second parsing thread. On the machines we measured, first touch of a page
// costs more than anything else the sync does (page clearing was 30 % of a
// cold sync's CPU), so what matters is touching few fresh pages:
// - thp:always, metadata_thp:always: 2 MiB pages for the heap, 512× fewer
//   faults (glibc offers this only through an environment tunable, which
//   needed a re-exec of the process);
// - narenas:1: one arena for all threads, so that the parsed manifests,
//   freed once resolved, are reused for the ruleset instead of staying
//   cached in the parsing thread's arena.
// Measured at 10,000 × 10 against glibc with its huge-page tunable:
// ≈ 40 % less system time, 0.05–0.1 s less wall time (docs/BENCHMARKS.md).
extern "C" {
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:always,narenas:1";
}

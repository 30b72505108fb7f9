// prefault_soon(p, bytes): a background thread faults [p, p + bytes) in
// (madvise MADV_POPULATE_WRITE), from its end backwards, while the caller
// goes on filling it from its start.
//
// Why: on the virtual machines we measured, the first touch of a fresh
// page was the largest single cost of a cold sync (clearing it, and the
// host backing it: a third of the CPU of a 10,000-service `sync --once`,
// varying 2–3× with the host's load). The big buffers of a sync (element
// maps, netlink pages) are allocated before they are filled, at a moment
// when the second core is idle, so their faults can be taken there.
//
// Safe whatever happens to the range meanwhile: faulting a page in does
// not change its contents, a range freed and reused is only faulted in for
// its new owner, and an unmapped one is skipped by the kernel. Ranges under
// 1 MiB, single-core machines and kernels without MADV_POPULATE_WRITE
// (< 5.14): nothing is done.
#pragma once

#include <cstddef>

namespace svcnat {

void prefault_soon(const void* p, size_t bytes);

}  // namespace svcnat

// run_parallel(n, job): job(i) for every i in [0, n), on up to one thread
// per core (the calling one included, at most 8). Each job writes only its
// own slot, so results come out in input order whatever the scheduling; the
// first exception is rethrown once all jobs have finished.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace svcnat {

template <class Job>
void run_parallel(size_t n, Job job) {
    const size_t threads = std::min<size_t>({n, std::max(1u, std::thread::hardware_concurrency()), 8});
    if (threads <= 1) {
        for (size_t i = 0; i < n; ++i) job(i);
        return;
    }
    std::atomic<size_t> next{0};
    std::mutex failed_mutex;
    std::exception_ptr failed;
    auto worker = [&] {
        for (size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                job(i);
            } catch (...) {
                std::lock_guard lock(failed_mutex);
                if (!failed) failed = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(threads - 1);
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (failed) std::rethrow_exception(failed);
}

}  // namespace svcnat

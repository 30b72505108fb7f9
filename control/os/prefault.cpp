#include "prefault.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace svcnat {
namespace {

constexpr uintptr_t kPage = 4096;
constexpr uintptr_t kChunk = uintptr_t{2} << 20;  // one transparent huge page
constexpr size_t kMinBytes = size_t{1} << 20;

class Prefaulter {
public:
    ~Prefaulter() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_one();
        if (worker_.joinable()) worker_.join();
    }

    void add(uintptr_t begin, uintptr_t end) {
        {
            std::lock_guard lock(mutex_);
            if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
            ranges_.emplace_back(begin, end);
        }
        wake_.notify_one();
    }

    bool unsupported() const { return unsupported_.load(std::memory_order_relaxed); }

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (true) {
            wake_.wait(lock, [this] { return stop_ || !ranges_.empty(); });
            if (stop_) return;
            auto [begin, end] = ranges_.front();
            ranges_.pop_front();
            lock.unlock();
            for (uintptr_t hi = end; hi > begin && !stopping();) {
                const uintptr_t lo = hi - begin > kChunk ? hi - kChunk : begin;
                if (madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_POPULATE_WRITE) != 0 && errno == EINVAL) {
                    unsupported_.store(true, std::memory_order_relaxed);
                    break;
                }
                hi = lo;
            }
            lock.lock();
        }
    }

    bool stopping() {
        std::lock_guard lock(mutex_);
        return stop_;
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::pair<uintptr_t, uintptr_t>> ranges_;
    bool stop_ = false;
    std::atomic<bool> unsupported_{false};
    std::thread worker_;
};

}  // namespace

void prefault_soon(const void* p, size_t bytes) {
    static const bool idle_core_likely = std::thread::hardware_concurrency() > 1;
    static Prefaulter prefaulter;
    if (!idle_core_likely || bytes < kMinBytes || prefaulter.unsupported()) return;
    const auto at = reinterpret_cast<uintptr_t>(p);
    const uintptr_t begin = (at + kPage - 1) & ~(kPage - 1);
    const uintptr_t end = (at + bytes) & ~(kPage - 1);
    if (end > begin) prefaulter.add(begin, end);
}

}  // namespace svcnat

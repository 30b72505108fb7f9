// prefault_soon(): faulting memory in on another thread never changes it,
// whatever the owner does meanwhile (writes, frees).
#include <gtest/gtest.h>

#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <thread>

#include "control/os/prefault.hpp"

namespace svcnat {
namespace {

TEST(Prefault, ContentsWrittenMeanwhileAreKept) {
    const size_t bytes = size_t{16} << 20;
    auto buffer = std::make_unique_for_overwrite<uint8_t[]>(bytes);
    prefault_soon(buffer.get(), bytes);
    // Written from the start while the prefaulting thread works from the end.
    for (size_t i = 0; i < bytes; ++i) buffer[i] = static_cast<uint8_t>(i * 7 + 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (size_t i = 0; i < bytes; i += 4093) ASSERT_EQ(buffer[i], static_cast<uint8_t>(i * 7 + 3)) << i;
}

TEST(Prefault, UnmappedAndTinyRangesAreHarmless) {
    const size_t bytes = size_t{8} << 20;
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    prefault_soon(p, bytes);
    ASSERT_EQ(munmap(p, bytes), 0);  // gone before or while the thread gets to it
    int small = 42;
    prefault_soon(&small, sizeof small);
    prefault_soon(nullptr, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(small, 42);
    // Still working afterwards.
    auto buffer = std::make_unique<uint8_t[]>(bytes);
    std::memset(buffer.get(), 0x5a, bytes);
    prefault_soon(buffer.get(), bytes);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(buffer[bytes - 1], 0x5a);
    EXPECT_EQ(buffer[0], 0x5a);
}

}  // namespace
}  // namespace svcnat

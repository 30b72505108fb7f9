// main() of the e2e test programs: GoogleTest, plus removal of every lab
// still up when the run is interrupted (Ctrl-C, meson's timeout), so no
// namespace or process outlives the test.
#include <gtest/gtest.h>

#include "lab.hpp"

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    svcnat::e2e::install_lab_cleanup_on_signals();
    return RUN_ALL_TESTS();
}

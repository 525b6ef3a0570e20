#pragma once
// Locating the shared fixtures (../shared): PARETO_TEST_DATA or the build's default.
// A missing fixture skips the test on a developer machine and fails it under CI=true,
// where the fixtures are always present.
#include <gtest/gtest.h>

#include <string>

namespace pareto::test {

std::string data_dir();
// Full path of a fixture, or "" when it does not exist.
std::string find_data(const std::string& relative);
bool running_in_ci();
std::string read_text_file(const std::string& path);

// Time bounds in tests are multiplied by this: sanitizer builds (PARETO_SANITIZE)
// run 5-20x slower, which is no regression.
#ifdef PARETO_SANITIZE_BUILD
inline constexpr double kTimingSlack = 20.0;
#else
inline constexpr double kTimingSlack = 1.0;
#endif

}  // namespace pareto::test

// Declares `var` as the full path of a fixture; skips (or fails in CI) when absent.
#define PARETO_REQUIRE_DATA(var, relative)                                                   \
    const std::string var = ::pareto::test::find_data(relative);                           \
    if (var.empty()) {                                                                      \
        if (::pareto::test::running_in_ci())                                                \
            FAIL() << "missing test data " << (relative) << " under "                      \
                   << ::pareto::test::data_dir() << " (CI=true requires it)";               \
        else                                                                                \
            GTEST_SKIP() << "missing test data " << (relative) << " under "                \
                         << ::pareto::test::data_dir() << " (set PARETO_TEST_DATA)";        \
    }

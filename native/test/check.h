// A tiny test harness for the C++ unit tests (no gtest: the build must work offline).
//
//   TEST(name) { CHECK(cond); CHECK_EQ(a, b); SKIP("why"); }
//
// The test binary runs every case with no arguments, one case when given its name, and with
// `--write-ctest-file <file> <exe>` writes the add_test() lines that register each case with
// ctest as <suite>.<case>. A skipped case exits with kSkipExitCode, which ctest reports as
// skipped.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace sluice_test {

constexpr int kSkipExitCode = 77;

struct Case {
  const char* name;
  void (*fn)();
};

inline std::vector<Case>& Registry() {
  static std::vector<Case> cases;
  return cases;
}

struct State {
  int failures = 0;
  const char* skipped = nullptr;
};

inline State& Current() {
  static State state;
  return state;
}

struct Registrar {
  Registrar(const char* name, void (*fn)()) { Registry().push_back({name, fn}); }
};

template <typename T>
std::string Show(const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>) {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%llu (0x%llx)", static_cast<unsigned long long>(v),
                  static_cast<unsigned long long>(v));
    return buf;
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (std::is_convertible_v<T, const char*>) {
    return v == nullptr ? "(null)" : std::string("\"") + v + "\"";
  } else if constexpr (std::is_convertible_v<T, std::string>) {
    return "\"" + std::string(v) + "\"";
  } else {
    return "(value)";
  }
}

// C strings compare by content; everything else with ==.
template <typename A, typename B>
bool Equal(const A& a, const B& b) {
  if constexpr (std::is_convertible_v<A, const char*> && std::is_convertible_v<B, const char*>) {
    const char* x = a;
    const char* y = b;
    return x == nullptr || y == nullptr ? x == y : std::strcmp(x, y) == 0;
  } else {
    return a == b;
  }
}

inline void Fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
  ++Current().failures;
}

// Runs one case; returns its exit code (0 pass, 1 fail, kSkipExitCode skipped).
inline int RunCase(const char* suite, const Case& c) {
  Current() = State();
  c.fn();
  if (Current().failures > 0) {
    std::printf("[FAIL] %s.%s (%d failed checks)\n", suite, c.name, Current().failures);
    return 1;
  }
  if (Current().skipped != nullptr) {
    std::printf("[SKIP] %s.%s: %s\n", suite, c.name, Current().skipped);
    return kSkipExitCode;
  }
  std::printf("[ OK ] %s.%s\n", suite, c.name);
  return 0;
}

inline int Main(const char* suite, int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--write-ctest-file") == 0) {
    FILE* f = std::fopen(argv[2], "w");
    if (f == nullptr) {
      std::perror("fopen");
      return 1;
    }
    for (const Case& c : Registry()) {
      std::fprintf(f, "add_test([=[%s.%s]=] [=[%s]=] [=[%s]=])\n", suite, c.name, argv[3], c.name);
      std::fprintf(f, "set_tests_properties([=[%s.%s]=] PROPERTIES SKIP_RETURN_CODE %d)\n", suite, c.name,
                   kSkipExitCode);
    }
    return std::fclose(f) == 0 ? 0 : 1;
  }
  if (argc == 2) {
    for (const Case& c : Registry()) {
      if (std::strcmp(c.name, argv[1]) == 0) return RunCase(suite, c);
    }
    std::fprintf(stderr, "no test case named %s\n", argv[1]);
    return 1;
  }
  int failed = 0;
  for (const Case& c : Registry()) failed += RunCase(suite, c) == 1;
  std::printf("%s: %zu cases, %d failed\n", suite, Registry().size(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace sluice_test

#define TEST(name)                                                               \
  static void TestCase_##name();                                                 \
  static ::sluice_test::Registrar test_registrar_##name(#name, TestCase_##name); \
  static void TestCase_##name()

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) ::sluice_test::Fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                            \
  do {                                                                                            \
    const auto& check_a_ = (a);                                                                   \
    const auto& check_b_ = (b);                                                                   \
    if (!::sluice_test::Equal(check_a_, check_b_)) {                                              \
      ::sluice_test::Fail(__FILE__, __LINE__,                                                     \
                          "CHECK_EQ(" #a ", " #b "): " + ::sluice_test::Show(check_a_) + " vs " + \
                              ::sluice_test::Show(check_b_));                                     \
    }                                                                                             \
  } while (0)

#define SKIP(reason)                             \
  do {                                           \
    ::sluice_test::Current().skipped = (reason); \
    return;                                      \
  } while (0)

#define TEST_MAIN(suite) \
  int main(int argc, char** argv) { return ::sluice_test::Main(suite, argc, argv); }

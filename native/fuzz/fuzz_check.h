// FUZZ_CHECK: a property a fuzz target asserts. A violation prints the condition and aborts,
// which libFuzzer reports as a crash and saves the input as an artifact (the sanitizers
// report memory and UB errors the same way).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

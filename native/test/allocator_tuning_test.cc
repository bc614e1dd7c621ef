// TuneAllocator against glibc's own accounting (mallinfo2): after tuning, a 3 MiB block comes
// from the heap rather than its own mmap, and once freed it stays in the heap for the next
// one instead of going back to the kernel. Each case runs in its own process (ctest), and the
// control case shows the same probe sees glibc's default behaviour.
#include "allocator_tuning.h"

#include <cstdlib>
#include <cstring>

#include "check.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SLUICE_HAVE_MALLINFO2 1
#endif

namespace {

constexpr size_t kBlock = 3u << 20;

#if defined(SLUICE_HAVE_MALLINFO2)
struct Probe {
  size_t mmapped;  // bytes in blocks that have their own mmap
  size_t heap;     // bytes of heap (arena) obtained from the kernel
};

Probe Take() {
  struct mallinfo2 m = mallinfo2();
  return {m.hblkhd, m.arena};
}

void* Touch(void* p) {
  std::memset(p, 1, kBlock);
  return p;
}
#endif

}  // namespace

TEST(defaults_give_a_3_mib_block_its_own_mmap) {
#if defined(SLUICE_HAVE_MALLINFO2)
  Probe before = Take();
  void* p = Touch(std::malloc(kBlock));
  CHECK(Take().mmapped >= before.mmapped + kBlock);
  std::free(p);
#else
  SKIP("needs glibc 2.33+ (mallinfo2)");
#endif
}

TEST(tuned_heap_serves_and_keeps_a_3_mib_block) {
#if defined(SLUICE_HAVE_MALLINFO2)
  CHECK(sluice::TuneAllocator(4 << 20, 64 << 20, 128 << 10));
  Probe before = Take();
  void* p = Touch(std::malloc(kBlock));
  Probe allocated = Take();
  CHECK_EQ(allocated.mmapped, before.mmapped);
  CHECK(allocated.heap >= before.heap + kBlock);
  std::free(p);
  // Not trimmed: the heap keeps the freed block, and the next block reuses it.
  CHECK_EQ(Take().heap, allocated.heap);
  void* q = Touch(std::malloc(kBlock));
  CHECK_EQ(Take().heap, allocated.heap);
  std::free(q);
#else
  SKIP("needs glibc 2.33+ (mallinfo2)");
#endif
}

TEST(tuning_is_recorded_as_called_only_once_it_is_called) {
#if defined(__GLIBC__)
  CHECK(!sluice::AllocatorTuningCalled());
  sluice::TuneAllocator(4 << 20, 64 << 20, 128 << 10);
  CHECK(sluice::AllocatorTuningCalled());
#else
  SKIP("needs glibc");
#endif
}

TEST_MAIN("allocator_tuning")

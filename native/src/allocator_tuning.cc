// glibc malloc tuning for the read path. Every read that returns a fresh Buffer allocates up
// to its max bytes (1 MiB by default) outside V8's heap. Under glibc's defaults such a block
// is mmap'd, or carved from a heap top that is trimmed back to the kernel once 2 MiB lie free
// there; either way new blocks are often fresh pages, and a page fault per 4 KiB costs more
// than the read itself (measured: readRecords of 1 MiB reads faulted a quarter of the pages
// they filled and ran at 2.8M records/s; tuned, almost no faults and 7.4M records/s). Serving
// blocks of a few MiB from the heap and trimming only past tens of MiB lets blocks freed by
// the last GC be reused without faults.
#include "allocator_tuning.h"

#include <atomic>
#include <cstdlib>  // defines __GLIBC__ under glibc, for the test below

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace sluice {

namespace {
std::atomic<bool> tuning_called{false};
}  // namespace

bool AllocatorTuningCalled() { return tuning_called.load(std::memory_order_relaxed); }

bool TuneAllocator(int mmap_threshold, int trim_threshold, int top_pad) {
#if defined(__GLIBC__)
  tuning_called.store(true, std::memory_order_relaxed);
  // mallopt returns 1 on success and 0 for a rejected value; it sets no errno to report.
  bool ok = mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1;
  ok = mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1 && ok;
  ok = mallopt(M_TOP_PAD, top_pad) == 1 && ok;
  return ok;
#else
  (void)mmap_threshold;
  (void)trim_threshold;
  (void)top_pad;
  return false;
#endif
}

}  // namespace sluice

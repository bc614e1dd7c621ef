// glibc malloc tuning for the read path (see allocator_tuning.cc).
#pragma once

namespace sluice {

// mallopt(M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD) for the whole process. True when
// glibc took all three; false without glibc or when glibc refused a value.
bool TuneAllocator(int mmap_threshold, int trim_threshold, int top_pad);

// True once TuneAllocator has called mallopt in this process (whatever glibc answered), so a
// test can tell that loading the library alone leaves the host's allocator as it was.
bool AllocatorTuningCalled();

}  // namespace sluice

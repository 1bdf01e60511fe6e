#include "map_prefaulter.h"

#include <pthread.h>

#include <algorithm>

#include "lmdb_core.h"

namespace gorch::store::internal {

// One madvise call covers at most this much, so that map growth (which waits for
// it) is not held up long.
constexpr size_t kChunk = size_t{4} << 20;

MapPrefaulter::MapPrefaulter(LmdbCore* core) : core_(core) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gorch-prefault");
    Run();
  });
}

MapPrefaulter::~MapPrefaulter() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void MapPrefaulter::NoteUsed(size_t used_bytes) {
  const size_t ahead = std::clamp(used_bytes / 2, kMinAhead, kMaxAhead);
  const size_t want = used_bytes + ahead;
  {
    std::lock_guard<std::mutex> l(mu_);
    // Wake the thread only once a quarter of the margin is used up.
    if (want <= want_ + ahead / 4) return;
    want_ = want;
  }
  cv_.notify_one();
}

void MapPrefaulter::Run() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stop_ || want_ > populated_; });
    if (stop_) return;
    const size_t want = want_;
    l.unlock();
    while (populated_ < want) {
      const size_t end = std::min(want, populated_ + kChunk);
      // Past the map's end it does nothing; the next NoteUsed after growth retries.
      size_t reached = core_->Prefault(populated_, end);
      if (reached <= populated_) break;
      populated_ = reached;
      std::lock_guard<std::mutex> ll(mu_);
      if (stop_) return;
    }
    l.lock();
    if (populated_ < want) {
      // The map ends before `want`; wait for a NoteUsed past this point (after growth).
      cv_.wait(l, [&] { return stop_ || want_ > want; });
      if (stop_) return;
    }
  }
}

}  // namespace gorch::store::internal

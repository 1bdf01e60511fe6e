// The clock that lease expiry is measured by: an I/O seam (STYLE.md §5), so a test
// can move time by hand instead of sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace gorch::store {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on a monotonic scale (only differences matter). Thread-safe.
  virtual int64_t NowMillis() = 0;
};

// std::chrono::steady_clock.
std::shared_ptr<Clock> SystemClock();

// A clock that moves only when told; for tests.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_millis = 1'000'000) : now_(start_millis) {}
  int64_t NowMillis() override { return now_.load(); }
  void Advance(std::chrono::milliseconds d) { now_ += d.count(); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace gorch::store

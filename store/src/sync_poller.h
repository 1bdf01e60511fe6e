// A thread that wakes every `interval` while a disk flush is in flight.
//
// Why: on some virtual machines (this project's benchmark machine among them) a
// vCPU that halts while its threads wait for a flush notices the disk's completion
// only at its next timer tick, milliseconds later; a short periodic timer keeps it
// responsive. Go's runtime does the same by accident (its sysmon thread wakes every
// 20 us while a syscall blocks), which is why etcd's fsyncs looked 10x faster than
// ours there. Costs one wakeup per interval during flushes, nothing otherwise.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace gorch::store::internal {

class SyncPoller {
 public:
  // interval 0: disabled (Begin/End do nothing).
  explicit SyncPoller(std::chrono::microseconds interval);
  ~SyncPoller();
  SyncPoller(const SyncPoller&) = delete;
  SyncPoller& operator=(const SyncPoller&) = delete;

  // Brackets a flush; may nest and be called from several threads.
  void Begin();
  void End();

  class Scope {
   public:
    explicit Scope(SyncPoller& p) : p_(p) { p_.Begin(); }
    ~Scope() { p_.End(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    SyncPoller& p_;
  };

 private:
  void Run();

  const std::chrono::microseconds interval_;
  std::atomic<int> active_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gorch::store::internal

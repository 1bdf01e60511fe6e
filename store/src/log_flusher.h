// Flushes the write-ahead log with several fdatasyncs in flight at once
// (docs/store.md, "Writes").
//
// Why: on the benchmark machine's virtual disk, flushes overlap: one thread
// flushing a file in a loop managed 1,300-2,200 fdatasyncs/s, four threads
// 8,700-11,000/s. With one flush at a time, a write committed while a flush runs
// waits for the rest of it and then for its own; with overlapping flushes its own
// starts at once.
//
// A flush covers every byte written to the file before it started: fdatasync
// writes the dirty pages, waits also for pages another flush has under writeback,
// then flushes the device's cache. Completions are still reported in start order
// (ticket t only once every ticket before it has finished), so that an error of an
// earlier flush is never overtaken by a later success: after an I/O error the
// kernel reports it to one fdatasync only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gorch/base/status.h"
#include "sync_poller.h"

namespace gorch::store::internal {

class LogFlusher {
 public:
  // Called on a flusher thread, one call at a time, with increasing tickets:
  // every flush up to and including `through` has finished; `status` is the error
  // of the earliest failed flush at or below `through` (so every report from the
  // first failure on carries it), or ok.
  using Done = std::function<void(uint64_t through, const Status& status)>;

  LogFlusher(size_t max_in_flight, SyncPoller* poller, Done done);
  ~LogFlusher();  // waits for running flushes
  LogFlusher(const LogFlusher&) = delete;
  LogFlusher& operator=(const LogFlusher&) = delete;

  // Starts a flush of `fd` (`path` names it in errors) as ticket `ticket`, which
  // must be the previous ticket + 1 (the first is 1). Waits while max_in_flight
  // flushes are running. One thread calls Start.
  void Start(uint64_t ticket, int fd, const std::string& path);

  // Waits until every started flush has finished and been reported.
  void Drain();

 private:
  struct Job {
    uint64_t ticket;
    int fd;
    std::string path;
  };
  void Run();

  const size_t max_in_flight_;
  SyncPoller* poller_;
  Done done_;
  std::mutex mu_;
  std::condition_variable cv_;       // a job queued, or stop
  std::condition_variable idle_cv_;  // a flush finished
  std::deque<Job> queue_;
  size_t running_ = 0;          // queued or flushing
  std::set<uint64_t> finished_;  // finished tickets above reported_
  uint64_t reported_ = 0;
  Status error_;              // the failure of the earliest failed ticket
  uint64_t error_ticket_ = 0;  // that ticket (when error_ is set)
  bool stop_ = false;
  std::mutex report_mu_;  // serializes done_ calls
  std::vector<std::thread> threads_;
};

}  // namespace gorch::store::internal

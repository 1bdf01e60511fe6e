// Faults in the LMDB map's pages ahead of the committer, in a thread of its own.
//
// Why: with MDB_WRITEMAP the file is as large as the map, and the part past the
// data is a hole. The first touch of each new page there is a page fault that
// reads the hole (the kernel zeroes a page-cache page, with read-ahead up to the
// device's window: 8 MiB on the benchmark machine) and, in a VM, may also make the
// host back guest memory for the first time. On a store that grows, perf put 45 %
// of the committer's time — the write path's one serial thread — in that zeroing.
// readahead(2) of the pages just past the data does the same work here, off the
// committer's path; the committer's later write to such a page is a minor fault.
// The pages stay clean (nothing is written to disk for them).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

namespace gorch::store::internal {

class LmdbCore;

class MapPrefaulter {
 public:
  explicit MapPrefaulter(LmdbCore* core);
  ~MapPrefaulter();
  MapPrefaulter(const MapPrefaulter&) = delete;
  MapPrefaulter& operator=(const MapPrefaulter&) = delete;

  // The data now reaches `used_bytes` into the map (LMDB's last page, after a
  // commit). Cheap; wakes the thread when the populated margin runs short.
  void NoteUsed(size_t used_bytes);

  // The margin kept populated past the data: half the data, within these bounds.
  static constexpr size_t kMinAhead = size_t{4} << 20;
  static constexpr size_t kMaxAhead = size_t{64} << 20;

 private:
  void Run();

  LmdbCore* core_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t want_ = 0;       // populate the map up to here
  size_t populated_ = 0;  // thread only: done up to here
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace gorch::store::internal

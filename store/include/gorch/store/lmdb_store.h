// The embedded store: LMDB in one data directory (docs/store.md has the layout).
//
// Writes from all threads are queued and applied by one committer thread, which
// takes everything queued, applies it in one LMDB transaction, commits with fsync
// and only then acknowledges every caller (group commit). Reads run in parallel on
// LMDB snapshots. The map grows as needed up to max_map_bytes. A directory written
// by a newer format version, a corrupt file, or a directory another process has
// open is refused at open with a clear error.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gorch/base/status.h"
#include "gorch/store/clock.h"
#include "gorch/store/store.h"

namespace gorch::store {

// The on-disk format this build writes and reads (docs/store.md). A directory with
// a larger number is refused.
inline constexpr uint32_t kLmdbFormatVersion = 1;

struct LmdbOptions {
  std::string dir;                  // data directory (data.mdb, lock.mdb, gorch.lock)
  bool create_if_missing = true;    // else a missing directory/store is NotFound
  size_t initial_map_bytes = 64u << 20;  // first map size (an existing file may be larger)
  size_t max_map_bytes = size_t{1} << 40;  // the map doubles up to this; then ResourceExhausted
  // false: no fsync at commit (MDB_NOSYNC); a crash may lose recent writes. Only for
  // throwaway stores; the default is durable.
  bool sync = true;
  // While a flush is in flight, wake a helper thread this often (0: never). Some
  // virtual machines otherwise notice a finished disk flush only at the next timer
  // tick, milliseconds late (docs/store.md, "Durability").
  std::chrono::microseconds sync_poll_interval{50};
  // Decode and checksum every record at open, so a corrupt file is refused before it
  // is served. Costs about one full read of the data.
  bool verify_on_open = true;
  // Most writes applied in one LMDB transaction (one fsync).
  size_t max_batch = 4096;
  // Lease expiry: measured by `clock`, checked every `lease_check_interval`.
  std::shared_ptr<Clock> clock;  // null: SystemClock()
  std::chrono::milliseconds lease_check_interval{100};
};

// Opens (creating if allowed) the store in options.dir. The directory stays open
// (and locked) until the store and every WatchStream it made are destroyed. Errors: NotFound (missing and
// !create_if_missing), FailedPrecondition (in use by another process, or written by a
// newer format version), Corruption (not a gorch store, or damaged), IOError.
Result<std::unique_ptr<Store>> OpenLmdbStore(const LmdbOptions& options);

}  // namespace gorch::store

// The embedded store: LMDB in one data directory (docs/store.md has the layout).
//
// Writes from all threads are queued and applied by one committer thread, which
// takes everything queued and applies it in one LMDB transaction; the batch is made
// durable by one append to a write-ahead log and its fdatasync (or, without the
// log, by syncing LMDB), and only then is every caller acknowledged (group commit). Reads run in parallel on
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
// 2: meta.wal_seq and the write-ahead log (wal-*.log); a format 1 directory is
// upgraded when opened.
inline constexpr uint32_t kLmdbFormatVersion = 2;

struct LmdbOptions {
  std::string dir;                  // data directory (data.mdb, lock.mdb, gorch.lock)
  bool create_if_missing = true;    // else a missing directory/store is NotFound
  size_t initial_map_bytes = 64u << 20;  // first map size (an existing file may be larger)
  size_t max_map_bytes = size_t{1} << 40;  // the map doubles up to this; then ResourceExhausted
  // false: no fsync at commit (MDB_NOSYNC); a crash may lose recent writes. Only for
  // throwaway stores; the default is durable.
  bool sync = true;
  // With sync: make each batch durable by appending it to a write-ahead log and
  // fdatasyncing that (sequential), committing LMDB without a sync and syncing it
  // only at checkpoints. false: fdatasync LMDB at every batch (slower; LMDB's own
  // integrity guarantee also against a power cut, see docs/store.md).
  bool wal = true;
  // A checkpoint (sync LMDB, drop the log written before it) after this many log
  // bytes or this much time, whichever comes first.
  size_t checkpoint_bytes = 64u << 20;
  std::chrono::milliseconds checkpoint_interval{1000};
  // With the log: at most this many log flushes (fdatasyncs) in flight at once; a
  // batch committed while others are being flushed starts its own flush at once
  // (docs/store.md, "Writes"). 1: one at a time.
  size_t log_flushes_in_flight = 4;
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

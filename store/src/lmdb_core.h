// The LMDB environment and what its readers share: the read-transaction pool, the
// lock that map growth takes, and the commit notification that watches wait on.
// Owned jointly by the store and its watch streams (a stream may outlive the store).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/store/lmdb_store.h"
#include "lmdb_env.h"
#include "lmdb_read.h"

namespace gorch::store::internal {

class LmdbCore {
 public:
  explicit LmdbCore(LmdbOptions options) : options_(std::move(options)) {}
  ~LmdbCore();
  LmdbCore(const LmdbCore&) = delete;
  LmdbCore& operator=(const LmdbCore&) = delete;

  // Locks the directory, verifies every record if asked (lmdb_verify.h), opens (or
  // initialises) the environment and its tables and checks the format version. Fills *meta
  // and *leases (id, granted TTL) with what is on disk.
  // Batches left in the write-ahead log beyond LMDB's wal_seq are applied, LMDB is
  // synced and the log removed (lmdb_wal.h).
  Status Open(MetaState* meta, std::vector<std::pair<int64_t, int64_t>>* leases);

  // Whether batches are made durable by the write-ahead log (sync && wal).
  bool uses_wal() const { return options_.sync && options_.wal; }

  // A read-only snapshot; holds off map growth while it lives.
  class ReadTxn {
   public:
    ReadTxn(LmdbCore* core, MDB_txn* txn, std::shared_lock<std::shared_mutex> lock)
        : core_(core), txn_(txn), lock_(std::move(lock)) {}
    ReadTxn(ReadTxn&& o) noexcept : core_(o.core_), txn_(std::exchange(o.txn_, nullptr)), lock_(std::move(o.lock_)) {}
    ReadTxn& operator=(ReadTxn&&) = delete;
    ~ReadTxn();
    MDB_txn* get() const { return txn_; }

   private:
    LmdbCore* core_;
    MDB_txn* txn_;
    std::shared_lock<std::shared_mutex> lock_;
  };
  Result<ReadTxn> BeginRead();

  // mdb_env_sync(force): makes every committed transaction durable. Holds off map
  // growth meanwhile (with MDB_WRITEMAP it msyncs the map). Any thread.
  int SyncToDisk();

  // Brings the data file's pages in [from, to) (clipped to the map) into the page
  // cache without writing them (map_prefaulter.h). Any thread. Returns how far it
  // got: `from` if nothing was done.
  size_t Prefault(size_t from, size_t to);

  // Doubles the map (up to options.max_map_bytes). Only the committer calls this,
  // with no write transaction open. ResourceExhausted at the maximum.
  Status Grow();

  const LmdbOptions& options() const { return options_; }
  MDB_env* env() const { return env_; }
  const Tables& tables() const { return tables_; }
  size_t map_bytes() const { return map_bytes_.load(); }

  // The newest committed revision, published after each commit and before its
  // writers are acknowledged. Watches wait on watch_cv for it to move.
  std::atomic<int64_t> committed_revision{0};
  std::atomic<bool> closed{false};
  std::mutex watch_mu;
  std::condition_variable watch_cv;

 private:
  Status LockDirectory();
  Status OpenEnvironment();
  Status OpenTables(MetaState* meta);
  Status RecoverFromWal(MetaState* meta);
  Status LoadLeases(std::vector<std::pair<int64_t, int64_t>>* leases);
  void ReleaseRead(MDB_txn* txn);

  const LmdbOptions options_;
  MDB_env* env_ = nullptr;
  Tables tables_;
  int lock_fd_ = -1;
  std::atomic<size_t> map_bytes_{0};
  std::shared_mutex map_mu_;  // shared: any read txn; exclusive: map growth
  std::mutex pool_mu_;
  std::vector<MDB_txn*> pool_;  // reset read txns, ready to renew
};

}  // namespace gorch::store::internal

// Applying queued writes inside the committer's one LMDB write transaction.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/store/store.h"
#include "lmdb_env.h"
#include "lmdb_read.h"

namespace gorch::store::internal {

// One write waiting for the committer. The committer fills in the results; the
// acker then completes it: a synchronous caller owns it and waits for `finished`
// to become 1 (lmdb_store.cc); an asynchronous one (`async`) is owned by the
// pipeline and handed to its callback.
struct PendingWrite {
  enum class Kind { kTxn, kLeaseGrant, kLeaseRevoke, kLeaseExpire, kCompact };
  Kind kind = Kind::kTxn;
  const TxnRequest* txn = nullptr;  // kTxn
  int64_t lease_id = 0;             // lease kinds (0 on grant: pick one)
  int64_t ttl = 0;                  // kLeaseGrant
  int64_t compact_revision = 0;     // kCompact
  size_t bytes = 0;                 // rough size, to bound a batch

  Status status;            // the write's own outcome
  TxnResponse txn_response;  // kTxn
  LeaseGrantResponse grant;  // kLeaseGrant
  bool async = false;
  std::atomic<uint32_t> finished{0};  // synchronous: set to 1 when complete
};

// A lease granted (ttl > 0) or removed (ttl == 0) by a committed batch.
struct LeaseChange {
  int64_t id = 0;
  int64_t ttl = 0;
};

// Applies writes one after another to `txn`. Each write either applies completely or
// not at all: everything that can make a write fail (compares, missing leases, a
// bad revision) is checked before its first change. Apply() returns non-ok only for
// a failure of LMDB itself (or damage found mid-write); the whole batch must then be
// aborted, and last_mdb_rc() tells whether the map was full.
class BatchWriter {
 public:
  // `lease_expired(id)` answers whether a lease's time is up (for kLeaseExpire).
  BatchWriter(MDB_txn* txn, const Tables& tables, const MetaState& meta,
              std::function<bool(int64_t)> lease_expired, std::mt19937_64* rng);

  Status Apply(PendingWrite* w);
  // Records the new revision, compact revision and wal_seq in the meta table.
  Status Finish();

  // From now on, appends every table change to *redo (lmdb_wal.h's redo encoding),
  // so that ApplyRedo can repeat the batch exactly. Null: no record.
  void RecordRedo(std::string* redo) { redo_ = redo; }
  // The batch's write-ahead-log sequence number, written to meta by Finish().
  void SetWalSeq(int64_t seq) { meta_.wal_seq = seq; }

  const MetaState& meta() const { return meta_; }
  const std::vector<LeaseChange>& lease_changes() const { return lease_changes_; }
  int last_mdb_rc() const { return mdb_rc_; }

 private:
  Status Check(int rc, std::string_view what);
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view data, std::string_view what);
  Status PutHistory(std::string_view key, std::string_view data);
  Status Del(MDB_dbi dbi, std::string_view key, const std::string_view* data, std::string_view what);

  Status ApplyTxn(PendingWrite* w);
  Status EvalCompare(const Compare& c, bool* holds);
  Status Precheck(const std::vector<Op>& ops, Status* verdict);
  Status ApplyPut(const PutRequest& p, int64_t rev, PutResponse* out);
  Status ApplyDelete(const DeleteRequest& d, int64_t rev, DeleteResponse* out);
  Status DeleteKey(std::string_view key, int64_t lease, int64_t rev);
  Status ApplyLeaseGrant(PendingWrite* w);
  Status ApplyLeaseRevoke(PendingWrite* w, bool only_if_expired);
  Status ApplyCompact(PendingWrite* w);
  Status CompactChunk(std::string* from_key, int64_t until, bool* done);
  Status DropOlderVersions(std::string_view key, int64_t rev);

  MDB_txn* txn_;
  const Tables& t_;
  MetaState meta_;
  std::function<bool(int64_t)> lease_expired_;
  std::mt19937_64* rng_;
  uint32_t sub_ = 0;  // changes so far in the current write's revision
  int mdb_rc_ = 0;
  std::vector<LeaseChange> lease_changes_;
  std::string* redo_ = nullptr;
};

}  // namespace gorch::store::internal

// Reads of the LMDB store's tables inside one LMDB transaction (a read snapshot, or
// the committer's write transaction, which sees its own earlier writes).
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/store/store.h"
#include "lmdb_env.h"

namespace gorch::store::internal {

struct MetaState {
  uint32_t format_version = 0;
  int64_t revision = 0;          // newest committed revision
  int64_t compact_revision = 0;  // reads and watches below this fail with Compacted
  int64_t wal_seq = 0;           // the last write-ahead-log batch applied (0: none; format 1 had none)
};

// Meta keys.
inline constexpr std::string_view kMetaFormat = "format_version";
inline constexpr std::string_view kMetaRevision = "revision";
inline constexpr std::string_view kMetaCompact = "compact_revision";
inline constexpr std::string_view kMetaWalSeq = "wal_seq";  // format 2; missing reads as 0

// Reads the meta table but for wal_seq (which only the committer needs).
// Corruption when a record is missing or malformed.
Status ReadMeta(MDB_txn* txn, const Tables& t, MetaState* out);
// Fills out->wal_seq. REQUIRES: out->format_version read by ReadMeta.
Status ReadWalSeq(MDB_txn* txn, const Tables& t, MetaState* out);

// The newest state of `key`, or nullopt.
Status GetCurrent(MDB_txn* txn, const Tables& t, std::string_view key, std::optional<KeyValue>* out);

// Serves `req` against this transaction. `meta` is what the transaction sees (its
// revision answers revision 0 and goes into out->revision). Errors: InvalidArgument
// (future revision), Compacted, Corruption.
Status ReadRange(MDB_txn* txn, const Tables& t, const RangeRequest& req, const MetaState& meta,
                 RangeResponse* out);

// Appends the events of revisions [from, to] whose key is in {key, range_end}, in
// order. Stops early, at a revision boundary, once `max_events` are collected;
// *scanned_to is the last revision fully scanned.
Status ReadHistory(MDB_txn* txn, const Tables& t, int64_t from, int64_t to, std::string_view key,
                   std::string_view range_end, size_t max_events, std::vector<Event>* out,
                   int64_t* scanned_to);

// The keys attached to lease `id`, in key order.
Status ReadLeaseKeys(MDB_txn* txn, const Tables& t, int64_t id, std::vector<std::string>* out);

}  // namespace gorch::store::internal

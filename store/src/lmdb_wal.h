// The LMDB store's write-ahead log (docs/store.md, "Writes: the write-ahead log").
//
// Each committed batch is one record: the batch's table changes (a redo list), so
// that ApplyRedo can repeat them on the LMDB state the batch was applied to. The
// log lives in segment files DIR/wal-<first seq, 16 hex>.log; once LMDB has been
// synced past a segment's last record (a checkpoint), the segment is recycled: it
// becomes DIR/wal-spare.log, and the next new segment is that file renamed and
// overwritten from its start. Overwriting blocks that are already written lets
// fdatasync flush only the data (appending to a file must also commit its new size
// to the file system's journal: a second flush). Records left over from the
// segment's earlier life follow the live ones; their sequence numbers are older
// than LMDB's, so replay skips them.
//
// Record layout (integers little-endian), padded with zeros to a multiple of 8:
//   magic u32 | payload length u32 | crc32 u32 (of seq, durable_seq, payload) | 0 u32
//   | seq u64 | durable_seq u64 | payload
// `durable_seq` is the highest sequence number known durable (acknowledged) when the
// record was written. A damaged record followed by an intact one whose durable_seq
// reaches it was acknowledged: that is Corruption. Otherwise the damage is a torn
// tail (never acknowledged) and it and everything after it is dropped.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"
#include "lmdb_env.h"

namespace gorch::store::internal {

enum class RedoKind : uint8_t { kPut = 1, kDel = 2, kDelDup = 3 };

// The index of `dbi` among `t`'s tables (meta 0, kv 1, keyrev 2, history 3,
// leases 4, lease_keys 5), the table's name in a redo list.
uint8_t TableIndex(const Tables& t, MDB_dbi dbi);

// Appends one change to a redo list: kPut (key, data), kDel (key: every value),
// kDelDup (key, data: one value of a dupsort table).
void AppendRedoOp(std::string* redo, uint8_t table, RedoKind kind, std::string_view key, std::string_view data);

// Applies a redo list inside `txn`. Corruption if it does not decode; the LMDB
// code of a failed change goes to *mdb_rc (MDB_MAP_FULL: grow and retry).
Status ApplyRedo(MDB_txn* txn, const Tables& t, std::string_view redo, int* mdb_rc);

// Appends the encoded record to *out.
void AppendWalRecord(std::string* out, uint64_t seq, uint64_t durable_seq, std::string_view payload);

// Calls apply(seq, payload) in order for every intact record of every segment in
// `dir` with seq > after_seq. Sequence numbers must run on without a gap from the
// first record applied. Errors: Corruption (an acknowledged record is damaged, or
// a gap), IOError, or apply's error.
Status ReplayWal(const std::string& dir, uint64_t after_seq,
                 const std::function<Status(uint64_t seq, std::string_view payload)>& apply);

// The segment files in `dir`, oldest first.
Result<std::vector<std::string>> ListWalSegments(const std::string& dir);

// Fsyncs a directory (after a file in it was created or removed).
Status SyncDirectory(const std::string& dir);

// One open segment, appended to by one thread at a time.
class WalSegment {
 public:
  ~WalSegment();
  // Creates DIR/wal-<first_seq>.log (from the spare segment if there is one) and
  // makes its directory entry durable.
  static Result<std::unique_ptr<WalSegment>> Create(const std::string& dir, uint64_t first_seq);
  // After a checkpoint: keeps the segment `path` as the spare (or removes it if
  // there is one already). REQUIRES: LMDB is synced past its last record.
  static void Recycle(const std::string& dir, const std::string& path);
  Status Append(std::string_view bytes);  // at bytes(), overwriting what was there
  Status Sync();  // fdatasync
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  uint64_t bytes() const { return bytes_; }

 private:
  WalSegment(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  uint64_t bytes_ = 0;
};

}  // namespace gorch::store::internal

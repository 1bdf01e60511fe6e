// Small helpers around the LMDB C API: views of MDB_val, error mapping, a cursor
// that closes itself, and the set of tables the store uses.
#pragma once

#include <lmdb.h>

#include <string>
#include <string_view>

#include "gorch/base/status.h"

namespace gorch::store::internal {

inline MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// Maps an LMDB return code to a Status naming `what` was being done. Damage
// (MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH) is
// Corruption; a full map is ResourceExhausted; the rest IOError.
inline Status MdbError(int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_BAD_DBI:
      return Status::Corruption(msg);
    case MDB_MAP_FULL:
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
      return Status::ResourceExhausted(msg);
    default:
      return Status::IOError(msg);
  }
}

// The store's tables (named LMDB databases); lmdb_codec.h has their encodings.
struct Tables {
  MDB_dbi meta = 0;
  MDB_dbi kv = 0;
  MDB_dbi keyrev = 0;
  MDB_dbi history = 0;
  MDB_dbi leases = 0;
  MDB_dbi lease_keys = 0;
};

class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) { rc_ = mdb_cursor_open(txn, dbi, &cursor_); }
  ~Cursor() {
    if (rc_ == 0) mdb_cursor_close(cursor_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  int open_rc() const { return rc_; }
  // mdb_cursor_get; returns the LMDB code (0, MDB_NOTFOUND, or an error).
  int Get(MDB_val* key, MDB_val* data, MDB_cursor_op op) { return mdb_cursor_get(cursor_, key, data, op); }
  MDB_cursor* get() { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
  int rc_ = 0;
};

}  // namespace gorch::store::internal

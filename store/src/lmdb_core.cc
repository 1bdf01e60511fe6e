#include "lmdb_core.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "lmdb_codec.h"

namespace gorch::store::internal {
namespace {

constexpr unsigned kMaxReaders = 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

Status Verified(Status s, const std::string& dir, std::string_view table) {
  if (s.ok()) return s;
  if (s.IsCorruption()) {
    return Status::Corruption("store " + dir + " is damaged: table " + std::string(table) + ": " +
                              s.message());
  }
  return s;
}

// Walks every record of `dbi`, calling check(key, data) on each.
template <typename F>
Status WalkTable(MDB_txn* txn, MDB_dbi dbi, F check) {
  Cursor c(txn, dbi);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open cursor");
  MDB_val k, d;
  int rc = c.Get(&k, &d, MDB_FIRST);
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT)) GORCH_RETURN_IF_ERROR(check(View(k), View(d)));
  if (rc != MDB_NOTFOUND) return MdbError(rc, "walk");
  return Status::Ok();
}

}  // namespace

LmdbCore::~LmdbCore() {
  for (MDB_txn* txn : pool_) mdb_txn_abort(txn);
  if (env_ != nullptr) mdb_env_close(env_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

LmdbCore::ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) core_->ReleaseRead(txn_);
}

void LmdbCore::ReleaseRead(MDB_txn* txn) {
  mdb_txn_reset(txn);
  std::lock_guard<std::mutex> l(pool_mu_);
  pool_.push_back(txn);
}

Result<LmdbCore::ReadTxn> LmdbCore::BeginRead() {
  std::shared_lock<std::shared_mutex> lock(map_mu_);
  MDB_txn* txn = nullptr;
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    if (!pool_.empty()) {
      txn = pool_.back();
      pool_.pop_back();
    }
  }
  int rc = 0;
  if (txn != nullptr) {
    rc = mdb_txn_renew(txn);
    if (rc != 0) mdb_txn_abort(txn);
  } else {
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  }
  if (rc != 0) return MdbError(rc, "begin read transaction");
  return ReadTxn(this, txn, std::move(lock));
}

Status LmdbCore::Grow() {
  size_t current = map_bytes_.load();
  if (current >= options_.max_map_bytes) {
    return Status::ResourceExhausted("store " + options_.dir + " is full: its map reached max_map_bytes (" +
                                     std::to_string(options_.max_map_bytes) + " bytes)");
  }
  size_t next = std::min(options_.max_map_bytes, current * 2);
  std::unique_lock<std::shared_mutex> lock(map_mu_);  // no reader may be inside the map
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return MdbError(rc, "grow the map of " + options_.dir);
  map_bytes_.store(next);
  return Status::Ok();
}

Status LmdbCore::Open(MetaState* meta, std::vector<std::pair<int64_t, int64_t>>* leases) {
  if (options_.dir.empty()) return Status::InvalidArgument("store directory is empty");
  GORCH_RETURN_IF_ERROR(LockDirectory());
  GORCH_RETURN_IF_ERROR(OpenEnvironment());
  GORCH_RETURN_IF_ERROR(OpenTables(meta));
  if (options_.verify_on_open) GORCH_RETURN_IF_ERROR(Verify(*meta));
  GORCH_RETURN_IF_ERROR(LoadLeases(leases));
  committed_revision.store(meta->revision);
  return Status::Ok();
}

Status LmdbCore::LockDirectory() {
  const std::string& dir = options_.dir;
  std::error_code ec;
  bool exists = std::filesystem::exists(dir, ec);
  if (!exists) {
    if (!options_.create_if_missing) return Status::NotFound("store directory " + dir + " does not exist");
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::IOError("create store directory " + dir + ": " + ec.message());
  } else if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("store path " + dir + " is not a directory");
  }
  if (!options_.create_if_missing && !std::filesystem::exists(dir + "/data.mdb", ec)) {
    return Status::NotFound("no store in " + dir + " (data.mdb is missing)");
  }
  std::string lock_path = dir + "/gorch.lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Status::IOError("open " + lock_path + ": " + ErrnoText(errno));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      return Status::FailedPrecondition("store " + dir + " is in use by another process (or another "
                                        "store object in this one)");
    }
    return Status::IOError("lock " + lock_path + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

Status LmdbCore::OpenEnvironment() {
  const std::string& dir = options_.dir;
  int rc = mdb_env_create(&env_);
  if (rc != 0) return MdbError(rc, "create LMDB environment");
  // The map must hold the whole file; otherwise start at initial_map_bytes.
  size_t map = std::min(options_.initial_map_bytes, options_.max_map_bytes);
  struct stat st;
  if (stat((dir + "/data.mdb").c_str(), &st) == 0) map = std::max(map, size_t(st.st_size));
  rc = mdb_env_set_maxdbs(env_, 8);
  if (rc == 0) rc = mdb_env_set_maxreaders(env_, kMaxReaders);
  if (rc == 0) rc = mdb_env_set_mapsize(env_, map);
  if (rc != 0) return MdbError(rc, "configure LMDB environment");
  unsigned flags = MDB_NOTLS | (options_.sync ? 0u : unsigned(MDB_NOSYNC));
  rc = mdb_env_open(env_, dir.c_str(), flags, 0644);
  if (rc != 0) {
    Status s = MdbError(rc, "open store " + dir);
    mdb_env_close(env_);
    env_ = nullptr;
    if (rc == ENOENT) return Status::NotFound(s.message());
    return s;
  }
  if (mdb_env_get_maxkeysize(env_) < int(kMaxKeyBytes)) {
    return Status::Internal("liblmdb was built with a key size limit of " +
                            std::to_string(mdb_env_get_maxkeysize(env_)) + " bytes; gorch needs " +
                            std::to_string(kMaxKeyBytes));
  }
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  map_bytes_.store(info.me_mapsize);
  return Status::Ok();
}

Status LmdbCore::OpenTables(MetaState* meta) {
  const std::string& dir = options_.dir;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return MdbError(rc, "open store " + dir);
  auto fail = [&](Status s) {
    mdb_txn_abort(txn);
    return s;
  };
  rc = mdb_dbi_open(txn, "meta", 0, &tables_.meta);
  bool fresh = false;
  if (rc == MDB_NOTFOUND) {
    MDB_dbi main;
    MDB_stat st;
    rc = mdb_dbi_open(txn, nullptr, 0, &main);
    if (rc == 0) rc = mdb_stat(txn, main, &st);
    if (rc != 0) return fail(MdbError(rc, "open store " + dir));
    if (st.ms_entries != 0) {
      return fail(Status::Corruption("store " + dir + " holds an LMDB database that is not a gorch store "
                                     "(it has no meta table)"));
    }
    fresh = true;
  } else if (rc != 0) {
    return fail(MdbError(rc, "open the meta table of " + dir));
  }
  const unsigned create = fresh ? MDB_CREATE : 0;
  struct TableSpec {
    const char* name;
    unsigned flags;
    MDB_dbi* dbi;
  } specs[] = {
      {"meta", 0, &tables_.meta},
      {"kv", 0, &tables_.kv},
      {"keyrev", MDB_DUPSORT | MDB_DUPFIXED, &tables_.keyrev},
      {"history", 0, &tables_.history},
      {"leases", 0, &tables_.leases},
      {"lease_keys", MDB_DUPSORT, &tables_.lease_keys},
  };
  for (const TableSpec& spec : specs) {
    rc = mdb_dbi_open(txn, spec.name, spec.flags | create, spec.dbi);
    if (rc == MDB_NOTFOUND) {
      return fail(Status::Corruption("store " + dir + " is damaged: table " + spec.name + " is missing"));
    }
    if (rc != 0) return fail(MdbError(rc, std::string("open table ") + spec.name + " of " + dir));
  }
  if (fresh) {
    struct {
      std::string_view key;
      int64_t value;
    } init[] = {{kMetaFormat, kLmdbFormatVersion}, {kMetaRevision, 0}, {kMetaCompact, 0}};
    for (auto& [key, value] : init) {
      std::string v = EncodeI64(value);
      MDB_val k = Val(key), d = Val(v);
      rc = mdb_put(txn, tables_.meta, &k, &d, 0);
      if (rc != 0) return fail(MdbError(rc, "initialise store " + dir));
    }
  }
  MetaState m;
  int64_t format = 0;
  {
    std::string_view key = kMetaFormat;
    MDB_val k = Val(key), d;
    rc = mdb_get(txn, tables_.meta, &k, &d);
    if (rc != 0 || !DecodeI64(View(d), &format)) {
      return fail(Status::Corruption("store " + dir + " is damaged: its format version is missing"));
    }
  }
  if (format > int64_t(kLmdbFormatVersion)) {
    return fail(Status::FailedPrecondition(
        "store " + dir + " was written by a newer gorch (format version " + std::to_string(format) +
        "; this build reads format version " + std::to_string(kLmdbFormatVersion) + " and older)"));
  }
  if (format < 1) {
    return fail(Status::Corruption("store " + dir + " is damaged: format version " + std::to_string(format)));
  }
  Status s = ReadMeta(txn, tables_, &m);
  if (!s.ok()) return fail(Status::Corruption("store " + dir + " is damaged: " + s.message()));
  rc = mdb_txn_commit(txn);
  if (rc != 0) return MdbError(rc, "open store " + dir);
  *meta = m;
  return Status::Ok();
}

// Decodes every record, so that damage is found here and not half-way through serving.
Status LmdbCore::Verify(const MetaState& meta) {
  const std::string& dir = options_.dir;
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  MDB_txn* t = txn->get();
  Status s = WalkTable(t, tables_.kv, [](std::string_view, std::string_view d) {
    KvRecord r;
    return DecodeKv(d, &r);
  });
  GORCH_RETURN_IF_ERROR(Verified(s, dir, "kv"));
  int64_t last_rev = 0;
  s = WalkTable(t, tables_.history, [&](std::string_view k, std::string_view d) {
    uint32_t sub = 0;
    if (!DecodeHistoryKey(k, &last_rev, &sub)) return Status::Corruption("malformed key");
    EventRecord ev;
    return DecodeEvent(d, &ev);
  });
  GORCH_RETURN_IF_ERROR(Verified(s, dir, "history"));
  if (last_rev > meta.revision) {
    return Status::Corruption("store " + dir + " is damaged: history holds revision " +
                              std::to_string(last_rev) + " beyond the store revision " +
                              std::to_string(meta.revision));
  }
  s = WalkTable(t, tables_.keyrev, [](std::string_view, std::string_view d) {
    KeyRevEntry e;
    return DecodeKeyRev(d, &e) ? Status::Ok() : Status::Corruption("malformed entry");
  });
  GORCH_RETURN_IF_ERROR(Verified(s, dir, "keyrev"));
  s = WalkTable(t, tables_.leases, [](std::string_view k, std::string_view d) {
    int64_t id = 0, ttl = 0;
    return DecodeLeaseId(k, &id) && DecodeI64(d, &ttl) ? Status::Ok() : Status::Corruption("malformed lease");
  });
  GORCH_RETURN_IF_ERROR(Verified(s, dir, "leases"));
  s = WalkTable(t, tables_.lease_keys, [](std::string_view k, std::string_view) {
    int64_t id = 0;
    return DecodeLeaseId(k, &id) ? Status::Ok() : Status::Corruption("malformed lease id");
  });
  return Verified(s, dir, "lease_keys");
}

Status LmdbCore::LoadLeases(std::vector<std::pair<int64_t, int64_t>>* leases) {
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  Status s = WalkTable(txn->get(), tables_.leases, [&](std::string_view k, std::string_view d) {
    int64_t id = 0, ttl = 0;
    if (!DecodeLeaseId(k, &id) || !DecodeI64(d, &ttl)) return Status::Corruption("malformed lease");
    leases->emplace_back(id, ttl);
    return Status::Ok();
  });
  return Verified(s, options_.dir, "leases");
}

}  // namespace gorch::store::internal

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
#include "lmdb_verify.h"
#include "lmdb_wal.h"

namespace gorch::store::internal {
namespace {

constexpr unsigned kMaxReaders = 1024;

std::string ErrnoText(int err) { return std::strerror(err); }

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

int LmdbCore::SyncToDisk() {
  std::shared_lock<std::shared_mutex> lock(map_mu_);
  return mdb_env_sync(env_, 1);
}

size_t LmdbCore::Prefault(size_t from, size_t to) {
  // The page cache is what costs (zeroing the hole's pages); the committer's later
  // fault on a cached page is a minor one. readahead(2) fills the cache without a
  // mapping (LMDB does not say where its map is), and beyond the file's end (the
  // map's size) does nothing.
  mdb_filehandle_t fd;
  if (mdb_env_get_fd(env_, &fd) != 0) return from;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  from &= ~(page - 1);
  to = std::min(to, map_bytes_.load()) & ~(page - 1);
  if (to <= from) return from;
  if (readahead(fd, off64_t(from), to - from) != 0) return from;
  return to;
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
  if (options_.verify_on_open) GORCH_RETURN_IF_ERROR(VerifyStoreIsolated(options_.dir));
  GORCH_RETURN_IF_ERROR(OpenEnvironment());
  GORCH_RETURN_IF_ERROR(OpenTables(meta));
  GORCH_RETURN_IF_ERROR(RecoverFromWal(meta));
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
  // With the write-ahead log, commits do not sync (MDB_NOSYNC): the log is the
  // durable step and checkpoints sync LMDB. Without it, MDB_NOMETASYNC: a commit
  // syncs its data pages and writes the meta page without waiting for it; the
  // store's syncer then syncs before anyone hears of the commit (lmdb_store.cc), so
  // the meta flush overlaps the next batch instead of adding to it.
  const bool metasync_only = options_.sync && !options_.wal;
  unsigned flags = MDB_NOTLS | (metasync_only ? unsigned(MDB_NOMETASYNC) : unsigned(MDB_NOSYNC));
  // With the log, LMDB writes straight into its map (MDB_WRITEMAP): a commit copies
  // no pages through write(2); the kernel writes the dirty ones back, and a
  // checkpoint (mdb_env_sync: msync) makes them durable.
  if (uses_wal()) flags |= MDB_WRITEMAP;
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
    } init[] = {{kMetaFormat, kLmdbFormatVersion}, {kMetaRevision, 0}, {kMetaCompact, 0}, {kMetaWalSeq, 0}};
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
  if (format < int64_t(kLmdbFormatVersion)) {  // format 1 -> 2: add wal_seq
    std::string v2 = EncodeI64(kLmdbFormatVersion), zero = EncodeI64(0);
    MDB_val fk = Val(kMetaFormat), fd = Val(v2), wk = Val(kMetaWalSeq), wd = Val(zero);
    rc = mdb_put(txn, tables_.meta, &wk, &wd, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST) rc = 0;
    if (rc == 0) rc = mdb_put(txn, tables_.meta, &fk, &fd, 0);
    if (rc != 0) return fail(MdbError(rc, "upgrade the format of store " + dir));
  }
  Status s = ReadMeta(txn, tables_, &m);
  if (s.ok()) s = ReadWalSeq(txn, tables_, &m);
  if (!s.ok()) return fail(Status::Corruption("store " + dir + " is damaged: " + s.message()));
  rc = mdb_txn_commit(txn);
  if (rc != 0) return MdbError(rc, "open store " + dir);
  *meta = m;
  return Status::Ok();
}

Status LmdbCore::RecoverFromWal(MetaState* meta) {
  const std::string& dir = options_.dir;
  // Opening may have written (a new store, a format upgrade) without a sync.
  if (int rc = SyncToDisk(); rc != 0) return MdbError(rc, "sync store " + dir);
  auto segments = ListWalSegments(dir);
  if (!segments.ok()) return segments.status();
  if (segments->empty()) return Status::Ok();
  Status replayed = ReplayWal(dir, uint64_t(meta->wal_seq), [&](uint64_t seq, std::string_view redo) -> Status {
    for (;;) {
      MDB_txn* txn = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
      if (rc != 0) return MdbError(rc, "replay the write-ahead log of " + dir);
      int mdb_rc = 0;
      Status s = ApplyRedo(txn, tables_, redo, &mdb_rc);
      if (s.ok()) {
        rc = mdb_txn_commit(txn);
        if (rc == 0) return Status::Ok();
        mdb_rc = rc;
        s = MdbError(rc, "replay the write-ahead log of " + dir);
      } else {
        mdb_txn_abort(txn);
      }
      if (mdb_rc != MDB_MAP_FULL) {
        return s.code() == Status::Code::kCorruption
                   ? Status::Corruption("store " + dir + " is damaged: batch " + std::to_string(seq) + ": " +
                                        s.message())
                   : s;
      }
      GORCH_RETURN_IF_ERROR(Grow());
    }
  });
  GORCH_RETURN_IF_ERROR(replayed);
  // Checkpoint: LMDB now holds every batch of the log durably; drop the log.
  int rc = SyncToDisk();
  if (rc != 0) return MdbError(rc, "sync store " + dir);
  for (const std::string& path : *segments) WalSegment::Recycle(dir, path);
  GORCH_RETURN_IF_ERROR(SyncDirectory(dir));
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  Status s = ReadMeta(txn->get(), tables_, meta);
  if (s.ok()) s = ReadWalSeq(txn->get(), tables_, meta);
  if (!s.ok()) return Status::Corruption("store " + dir + " is damaged after replaying its log: " + s.message());
  return Status::Ok();
}

Status LmdbCore::LoadLeases(std::vector<std::pair<int64_t, int64_t>>* leases) {
  auto txn = BeginRead();
  if (!txn.ok()) return txn.status();
  Cursor c(txn->get(), tables_.leases);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open leases cursor");
  MDB_val k, d;
  int rc = c.Get(&k, &d, MDB_FIRST);
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT)) {
    int64_t id = 0, ttl = 0;
    if (!DecodeLeaseId(View(k), &id) || !DecodeI64(View(d), &ttl)) {
      return Status::Corruption("store " + options_.dir + " is damaged: a lease record is malformed");
    }
    leases->emplace_back(id, ttl);
  }
  if (rc != MDB_NOTFOUND) return MdbError(rc, "read leases");
  return Status::Ok();
}

}  // namespace gorch::store::internal

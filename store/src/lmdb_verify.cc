#include "lmdb_verify.h"

#include <lmdb.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string_view>

#include "lmdb_codec.h"
#include "lmdb_env.h"
#include "lmdb_read.h"

namespace gorch::store::internal {
namespace {

// The bytes of the data file as mapped. A damaged node can point outside them and
// LMDB does not check, so every record is checked before it is read. LMDB does not
// say where its map is (unless MDB_FIXEDMAP), so it is found in /proc/self/maps by
// the file's inode; where that fails, every pointer is taken as good.
struct MappedFile {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  bool Holds(const MDB_val& v) const {
    if (begin == 0) return true;
    uintptr_t p = reinterpret_cast<uintptr_t>(v.mv_data);
    return p >= begin && p <= end && v.mv_size <= end - p;
  }
};

MappedFile Mapped(MDB_env* env) {
  MappedFile file;
  int fd = -1;
  struct stat st;
  if (mdb_env_get_fd(env, &fd) != 0 || fstat(fd, &st) != 0) return file;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long lo = 0, hi = 0, offset = 0, inode = 0;
    unsigned dev_major = 0, dev_minor = 0;
    char perms[8] = {0};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &offset, &dev_major,
                    &dev_minor, &inode) != 7) {
      continue;
    }
    if (inode == st.st_ino && offset == 0 && makedev(dev_major, dev_minor) == st.st_dev) {
      file.begin = uintptr_t(lo);
      file.end = uintptr_t(lo) + uintptr_t(st.st_size);
      break;
    }
  }
  return file;
}

// Walks every record of `dbi`, calling check(key, data) on each.
template <typename F>
Status WalkTable(MDB_txn* txn, MDB_dbi dbi, const MappedFile& file, F check) {
  Cursor c(txn, dbi);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open cursor");
  MDB_val k, d;
  int rc = c.Get(&k, &d, MDB_FIRST);
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT)) {
    if (!file.Holds(k) || !file.Holds(d)) return Status::Corruption("a record points outside the file");
    GORCH_RETURN_IF_ERROR(check(View(k), View(d)));
  }
  if (rc != MDB_NOTFOUND) return MdbError(rc, "walk");
  return Status::Ok();
}

Status Damaged(const std::string& dir, std::string_view table, const Status& s) {
  if (s.ok() || !s.IsCorruption()) return s;
  return Status::Corruption("store " + dir + " is damaged: table " + std::string(table) + ": " + s.message());
}

Status WalkAll(MDB_txn* txn, const Tables& t, const std::string& dir) {
  const MappedFile file = Mapped(mdb_txn_env(txn));
  MetaState meta;
  GORCH_RETURN_IF_ERROR(Damaged(dir, "meta", ReadMeta(txn, t, &meta)));
  // Each key's newest state must match its newest keyrev entry.
  Status s = WalkTable(txn, t.kv, file, [&](std::string_view k, std::string_view d) {
    KvRecord r;
    GORCH_RETURN_IF_ERROR(DecodeKv(k, d, &r));
    MDB_val kk = Val(k), last;
    Cursor c(txn, t.keyrev);
    int rc = c.Get(&kk, &last, MDB_SET_KEY);
    if (rc == 0) rc = c.Get(&kk, &last, MDB_LAST_DUP);
    KeyRevEntry e;
    if (rc != 0 || !file.Holds(last) || !DecodeKeyRev(View(last), &e) || e.revision != r.mod_revision ||
        e.type != EventType::kPut) {
      return Status::Corruption("key " + std::string(k) + " disagrees with its revision index");
    }
    return Status::Ok();
  });
  GORCH_RETURN_IF_ERROR(Damaged(dir, "kv", s));
  int64_t last_rev = 0;
  s = WalkTable(txn, t.history, file, [&](std::string_view k, std::string_view d) {
    uint32_t sub = 0;
    if (!DecodeHistoryKey(k, &last_rev, &sub)) return Status::Corruption("malformed key");
    EventRecord ev;
    return DecodeEvent(d, &ev);
  });
  GORCH_RETURN_IF_ERROR(Damaged(dir, "history", s));
  if (last_rev > meta.revision) {
    return Status::Corruption("store " + dir + " is damaged: history holds revision " + std::to_string(last_rev) +
                              " beyond the store revision " + std::to_string(meta.revision));
  }
  // Each revision index entry must point at a history record of the same key.
  s = WalkTable(txn, t.keyrev, file, [&](std::string_view k, std::string_view d) {
    KeyRevEntry e;
    if (!DecodeKeyRev(d, &e)) return Status::Corruption("malformed entry");
    std::string hk = EncodeHistoryKey(e.revision, e.sub);
    MDB_val hkv = Val(hk), hd;
    EventRecord ev;
    if (mdb_get(txn, t.history, &hkv, &hd) != 0 || !file.Holds(hd) || !DecodeEvent(View(hd), &ev).ok() ||
        ev.key != k || ev.type != e.type) {
      return Status::Corruption("key " + std::string(k) + " at revision " + std::to_string(e.revision) +
                                " has no matching history record");
    }
    return Status::Ok();
  });
  GORCH_RETURN_IF_ERROR(Damaged(dir, "keyrev", s));
  s = WalkTable(txn, t.leases, file, [](std::string_view k, std::string_view d) {
    int64_t id = 0, ttl = 0;
    return DecodeLeaseId(k, &id) && DecodeI64(d, &ttl) ? Status::Ok() : Status::Corruption("malformed lease");
  });
  GORCH_RETURN_IF_ERROR(Damaged(dir, "leases", s));
  s = WalkTable(txn, t.lease_keys, file, [](std::string_view k, std::string_view) {
    int64_t id = 0;
    return DecodeLeaseId(k, &id) ? Status::Ok() : Status::Corruption("malformed lease id");
  });
  return Damaged(dir, "lease_keys", s);
}

// Opens the tables that exist; false when this is not (yet) a gorch store.
Status OpenExisting(MDB_txn* txn, Tables* t, bool* is_store) {
  *is_store = false;
  int rc = mdb_dbi_open(txn, "meta", 0, &t->meta);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  if (rc != 0) return MdbError(rc, "open table meta");
  struct {
    const char* name;
    unsigned flags;
    MDB_dbi* dbi;
  } specs[] = {{"kv", 0, &t->kv},
               {"keyrev", MDB_DUPSORT | MDB_DUPFIXED, &t->keyrev},
               {"history", 0, &t->history},
               {"leases", 0, &t->leases},
               {"lease_keys", MDB_DUPSORT, &t->lease_keys}};
  for (auto& spec : specs) {
    rc = mdb_dbi_open(txn, spec.name, spec.flags, spec.dbi);
    if (rc == MDB_NOTFOUND) return Status::Ok();  // opening reports the missing table
    if (rc != 0) return MdbError(rc, std::string("open table ") + spec.name);
  }
  *is_store = true;
  return Status::Ok();
}

Status StatusFrom(Status::Code code, const std::string& msg) {
  switch (code) {
    case Status::Code::kOk: return Status::Ok();
    case Status::Code::kCorruption: return Status::Corruption(msg);
    case Status::Code::kNotFound: return Status::NotFound(msg);
    case Status::Code::kResourceExhausted: return Status::ResourceExhausted(msg);
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(msg);
    default: return Status::IOError(msg);
  }
}

}  // namespace

Status VerifyStoreFiles(const std::string& dir) {
  struct stat st;
  if (stat((dir + "/data.mdb").c_str(), &st) != 0 || st.st_size == 0) return Status::Ok();
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return MdbError(rc, "create LMDB environment");
  Status result;
  MDB_txn* txn = nullptr;
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, size_t(st.st_size));
  rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0644);
  if (rc == 0) rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    result = MdbError(rc, "open store " + dir);
  } else {
    Tables t;
    bool is_store = false;
    result = OpenExisting(txn, &t, &is_store);
    if (result.ok() && is_store) result = WalkAll(txn, t, dir);
    mdb_txn_abort(txn);
  }
  mdb_env_close(env);
  return result;
}

Status VerifyStoreIsolated(const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) return VerifyStoreFiles(dir);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return VerifyStoreFiles(dir);
  }
  if (pid == 0) {  // child: verify, report "<code byte><message>", leave without cleanup
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    Status s = VerifyStoreFiles(dir);
    std::string report(1, char(s.code()));
    report += s.message();
    size_t off = 0;
    while (off < report.size()) {
      ssize_t n = write(fds[1], report.data() + off, report.size() - off);
      if (n <= 0) break;
      off += size_t(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      report.append(buf, size_t(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(wstatus)) {
    return Status::Corruption("store " + dir + " is damaged: reading it crashed LMDB (signal " +
                              std::to_string(WTERMSIG(wstatus)) + "); LMDB pages are corrupt");
  }
  if (report.empty()) return Status::IOError("verifying store " + dir + " failed: no report from the checker");
  return StatusFrom(Status::Code(static_cast<unsigned char>(report[0])), report.substr(1));
}

}  // namespace gorch::store::internal

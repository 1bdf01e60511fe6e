#include "lmdb_wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>

#include "crc32.h"

namespace gorch::store::internal {
namespace {

constexpr uint32_t kMagic = 0x4c415747;  // "GWAL"
constexpr size_t kHeaderBytes = 32;
constexpr size_t kMaxPayload = size_t{1} << 31;

std::string ErrnoText() { return std::strerror(errno); }

void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = char(v >> (8 * i));
  out->append(b, 4);
}
void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = char(v >> (8 * i));
  out->append(b, 8);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

uint32_t RecordCrc(const char* seqs, std::string_view payload) { return Crc32(Crc32(0, seqs, 16), payload); }

struct Record {
  uint64_t seq = 0;
  uint64_t durable_seq = 0;
  std::string_view payload;
  size_t size = 0;  // bytes on disk, padding included
};

// The intact record at `offset`, or nullopt.
std::optional<Record> ParseAt(std::string_view file, size_t offset) {
  if (file.size() - offset < kHeaderBytes) return std::nullopt;
  const char* p = file.data() + offset;
  if (GetU32(p) != kMagic) return std::nullopt;
  size_t len = GetU32(p + 4);
  size_t total = (kHeaderBytes + len + 7) & ~size_t{7};
  if (total > file.size() - offset) return std::nullopt;
  Record r;
  r.seq = GetU64(p + 16);
  r.durable_seq = GetU64(p + 24);
  r.payload = std::string_view(p + kHeaderBytes, len);
  r.size = total;
  if (RecordCrc(p + 16, r.payload) != GetU32(p + 8)) return std::nullopt;
  return r;
}

Status ReadFile(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError("open " + path + ": " + ErrnoText());
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) return Status::IOError("read " + path);
  return Status::Ok();
}

// Whether any intact record after the damage at (segment i, offset) says that
// `bad_seq` was acknowledged.
bool AckedLater(const std::vector<std::string>& files, size_t i, size_t offset, uint64_t bad_seq) {
  for (size_t j = i; j < files.size(); ++j) {
    std::string_view file = files[j];
    for (size_t off = (j == i ? offset + 8 : 0); off + kHeaderBytes <= file.size(); off += 8) {
      auto r = ParseAt(file, off);
      if (r && r->durable_seq >= bad_seq) return true;
    }
  }
  return false;
}

}  // namespace

uint8_t TableIndex(const Tables& t, MDB_dbi dbi) {
  const MDB_dbi order[] = {t.meta, t.kv, t.keyrev, t.history, t.leases, t.lease_keys};
  for (uint8_t i = 0; i < 6; ++i) {
    if (order[i] == dbi) return i;
  }
  return 255;
}

void AppendRedoOp(std::string* redo, uint8_t table, RedoKind kind, std::string_view key, std::string_view data) {
  redo->push_back(char(table));
  redo->push_back(char(kind));
  PutU32(redo, uint32_t(key.size()));
  PutU32(redo, uint32_t(data.size()));
  redo->append(key);
  redo->append(data);
}

Status ApplyRedo(MDB_txn* txn, const Tables& t, std::string_view redo, int* mdb_rc) {
  const MDB_dbi order[] = {t.meta, t.kv, t.keyrev, t.history, t.leases, t.lease_keys};
  size_t pos = 0;
  while (pos < redo.size()) {
    if (redo.size() - pos < 10) return Status::Corruption("a write-ahead log record is malformed (short op)");
    uint8_t table = uint8_t(redo[pos]);
    auto kind = RedoKind(uint8_t(redo[pos + 1]));
    size_t klen = GetU32(redo.data() + pos + 2), dlen = GetU32(redo.data() + pos + 6);
    pos += 10;
    if (table >= 6 || klen > redo.size() - pos || dlen > redo.size() - pos - klen) {
      return Status::Corruption("a write-ahead log record is malformed (bad op)");
    }
    MDB_val k = Val(redo.substr(pos, klen)), d = Val(redo.substr(pos + klen, dlen));
    pos += klen + dlen;
    int rc = 0;
    switch (kind) {
      case RedoKind::kPut: rc = mdb_put(txn, order[table], &k, &d, 0); break;
      case RedoKind::kDel: rc = mdb_del(txn, order[table], &k, nullptr); break;
      case RedoKind::kDelDup: rc = mdb_del(txn, order[table], &k, &d); break;
      default: return Status::Corruption("a write-ahead log record is malformed (bad op kind)");
    }
    if (rc == MDB_NOTFOUND && kind != RedoKind::kPut) rc = 0;
    if (rc != 0) {
      *mdb_rc = rc;
      return MdbError(rc, "replay the write-ahead log");
    }
  }
  return Status::Ok();
}

void AppendWalRecord(std::string* out, uint64_t seq, uint64_t durable_seq, std::string_view payload) {
  std::string seqs;
  PutU64(&seqs, seq);
  PutU64(&seqs, durable_seq);
  PutU32(out, kMagic);
  PutU32(out, uint32_t(payload.size()));
  PutU32(out, RecordCrc(seqs.data(), payload));
  PutU32(out, 0);
  out->append(seqs);
  out->append(payload);
  out->append((8 - payload.size() % 8) % 8, '\0');
}

Result<std::vector<std::string>> ListWalSegments(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Status::IOError("list " + dir + ": " + ErrnoText());
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() == 24 && n.substr(0, 4) == "wal-" && n.substr(20) == ".log") names.emplace_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());  // fixed-width hex: name order is number order
  for (std::string& n : names) n = dir + "/" + n;
  return names;
}

Status ReplayWal(const std::string& dir, uint64_t after_seq,
                 const std::function<Status(uint64_t, std::string_view)>& apply) {
  auto paths = ListWalSegments(dir);
  if (!paths.ok()) return paths.status();
  std::vector<std::string> files(paths->size());
  for (size_t i = 0; i < files.size(); ++i) GORCH_RETURN_IF_ERROR(ReadFile((*paths)[i], &files[i]));
  uint64_t last = after_seq;  // the last record applied (or already in LMDB)
  for (size_t i = 0; i < files.size(); ++i) {
    std::string_view file = files[i];
    size_t offset = 0;
    while (offset < file.size()) {
      auto r = ParseAt(file, offset);
      if (!r) {
        if (AckedLater(files, i, offset, last + 1)) {
          return Status::Corruption("store " + dir + " is damaged: write-ahead log " + (*paths)[i] +
                                    " has a damaged record at offset " + std::to_string(offset) +
                                    " that was acknowledged");
        }
        return Status::Ok();  // a torn tail: never acknowledged
      }
      offset += r->size;
      if (r->seq <= last) continue;  // already in LMDB
      if (r->seq != last + 1) {
        return Status::Corruption("store " + dir + " is damaged: its write-ahead log skips from batch " +
                                  std::to_string(last) + " to " + std::to_string(r->seq));
      }
      GORCH_RETURN_IF_ERROR(apply(r->seq, r->payload));
      last = r->seq;
    }
  }
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("open " + dir + ": " + ErrnoText());
  int rc = fsync(fd);
  std::string err = rc != 0 ? ErrnoText() : "";
  close(fd);
  if (rc != 0) return Status::IOError("sync " + dir + ": " + err);
  return Status::Ok();
}

WalSegment::~WalSegment() { close(fd_); }

namespace {
std::string SparePath(const std::string& dir) { return dir + "/wal-spare.log"; }
}  // namespace

Result<std::unique_ptr<WalSegment>> WalSegment::Create(const std::string& dir, uint64_t first_seq) {
  char name[32];
  std::snprintf(name, sizeof(name), "/wal-%016llx.log", static_cast<unsigned long long>(first_seq));
  std::string path = dir + name;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  if (rename(SparePath(dir).c_str(), path.c_str()) != 0) flags |= O_TRUNC;  // no spare: a new file
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) return Status::IOError("create " + path + ": " + ErrnoText());
  std::unique_ptr<WalSegment> seg(new WalSegment(path, fd));
  GORCH_RETURN_IF_ERROR(SyncDirectory(dir));
  return seg;
}

void WalSegment::Recycle(const std::string& dir, const std::string& path) {
  struct stat st;
  if (stat(SparePath(dir).c_str(), &st) == 0 || rename(path.c_str(), SparePath(dir).c_str()) != 0) {
    unlink(path.c_str());
  }
}

Status WalSegment::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = pwrite(fd_, bytes.data(), bytes.size(), off_t(bytes_));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("append to " + path_ + ": " + ErrnoText());
    }
    bytes.remove_prefix(size_t(n));
    bytes_ += uint64_t(n);
  }
  return Status::Ok();
}

Status WalSegment::Sync() {
  if (fdatasync(fd_) != 0) return Status::IOError("sync " + path_ + ": " + ErrnoText());
  return Status::Ok();
}

}  // namespace gorch::store::internal

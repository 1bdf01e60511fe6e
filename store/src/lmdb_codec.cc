#include "lmdb_codec.h"

#include <cstring>

#include "crc32.h"

namespace gorch::store::internal {
namespace {

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// CRC-32 (zlib's) of `prefix` followed by `data`.
uint32_t Crc(std::string_view prefix, std::string_view data) { return Crc32(Crc32(0, prefix), data); }

// Writes the CRC of `prefix` + everything after the first 4 bytes into those 4 bytes.
void SealCrc(std::string* record, std::string_view prefix = {}) {
  uint32_t crc = Crc(prefix, std::string_view(*record).substr(4));
  for (int i = 0; i < 4; ++i) (*record)[i] = static_cast<char>((crc >> (8 * i)) & 0xff);
}

bool CheckCrc(std::string_view record, std::string_view prefix = {}) {
  if (record.size() < 4) return false;
  return uint32_t(GetLE(record.data(), 4)) == Crc(prefix, record.substr(4));
}

constexpr size_t kKvHeader = 4 + 4 * 8;

}  // namespace

std::string EncodeKv(std::string_view key, const KvRecord& r) {
  std::string out(4, '\0');
  out.reserve(kKvHeader + r.value.size());
  PutLE(&out, r.create_revision, 8);
  PutLE(&out, r.mod_revision, 8);
  PutLE(&out, r.version, 8);
  PutLE(&out, r.lease, 8);
  out.append(r.value);
  SealCrc(&out, key);
  return out;
}

Status DecodeKv(std::string_view key, std::string_view data, KvRecord* out) {
  if (data.size() < kKvHeader) return Status::Corruption("kv record is truncated");
  if (!CheckCrc(data, key)) return Status::Corruption("kv record fails its checksum");
  const char* p = data.data() + 4;
  out->create_revision = int64_t(GetLE(p, 8));
  out->mod_revision = int64_t(GetLE(p + 8, 8));
  out->version = int64_t(GetLE(p + 16, 8));
  out->lease = int64_t(GetLE(p + 24, 8));
  out->value = data.substr(kKvHeader);
  return Status::Ok();
}

std::string EncodeEvent(const EventRecord& r) {
  std::string out(4, '\0');
  out.reserve(4 + 1 + 4 + r.key.size() + 24 + r.value.size());
  out.push_back(r.type == EventType::kPut ? 0 : 1);
  PutLE(&out, r.key.size(), 4);
  out.append(r.key);
  if (r.type == EventType::kPut) {
    PutLE(&out, r.create_revision, 8);
    PutLE(&out, r.version, 8);
    PutLE(&out, r.lease, 8);
    out.append(r.value);
  }
  SealCrc(&out);
  return out;
}

Status DecodeEvent(std::string_view data, EventRecord* out) {
  if (data.size() < 9) return Status::Corruption("history record is truncated");
  if (!CheckCrc(data)) return Status::Corruption("history record fails its checksum");
  unsigned char type = static_cast<unsigned char>(data[4]);
  if (type > 1) return Status::Corruption("history record has an unknown event type");
  uint64_t key_len = GetLE(data.data() + 5, 4);
  if (data.size() < 9 + key_len) return Status::Corruption("history record is truncated");
  *out = EventRecord{};
  out->type = type == 0 ? EventType::kPut : EventType::kDelete;
  out->key = data.substr(9, key_len);
  std::string_view rest = data.substr(9 + key_len);
  if (out->type == EventType::kDelete) {
    if (!rest.empty()) return Status::Corruption("history delete record has trailing bytes");
    return Status::Ok();
  }
  if (rest.size() < 24) return Status::Corruption("history record is truncated");
  out->create_revision = int64_t(GetLE(rest.data(), 8));
  out->version = int64_t(GetLE(rest.data() + 8, 8));
  out->lease = int64_t(GetLE(rest.data() + 16, 8));
  out->value = rest.substr(24);
  return Status::Ok();
}

std::string EncodeHistoryKey(int64_t revision, uint32_t sub) {
  std::string out;
  out.reserve(kHistoryKeySize);
  PutBE(&out, uint64_t(revision), 8);
  PutBE(&out, sub, 4);
  return out;
}

bool DecodeHistoryKey(std::string_view data, int64_t* revision, uint32_t* sub) {
  if (data.size() != kHistoryKeySize) return false;
  *revision = int64_t(GetBE(data.data(), 8));
  *sub = uint32_t(GetBE(data.data() + 8, 4));
  return true;
}

std::string EncodeKeyRev(const KeyRevEntry& e) {
  std::string out;
  out.reserve(kKeyRevSize);
  PutBE(&out, uint64_t(e.revision), 8);
  PutBE(&out, e.sub, 4);
  out.push_back(e.type == EventType::kPut ? 0 : 1);
  out.append(3, '\0');
  return out;
}

bool DecodeKeyRev(std::string_view data, KeyRevEntry* out) {
  if (data.size() != kKeyRevSize) return false;
  unsigned char type = static_cast<unsigned char>(data[12]);
  if (type > 1) return false;
  out->revision = int64_t(GetBE(data.data(), 8));
  out->sub = uint32_t(GetBE(data.data() + 8, 4));
  out->type = type == 0 ? EventType::kPut : EventType::kDelete;
  return true;
}

std::string EncodeLeaseId(int64_t id) {
  std::string out;
  PutBE(&out, uint64_t(id), 8);
  return out;
}

bool DecodeLeaseId(std::string_view data, int64_t* id) {
  if (data.size() != 8) return false;
  *id = int64_t(GetBE(data.data(), 8));
  return true;
}

std::string EncodeI64(int64_t v) {
  std::string out;
  PutLE(&out, uint64_t(v), 8);
  return out;
}

bool DecodeI64(std::string_view data, int64_t* v) {
  if (data.size() != 8) return false;
  *v = int64_t(GetLE(data.data(), 8));
  return true;
}

}  // namespace gorch::store::internal

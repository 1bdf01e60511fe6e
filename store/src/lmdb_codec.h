// The LMDB store's on-disk encoding (docs/store.md, "Key layout"). Integers in values
// are little-endian; integers in keys are big-endian so that LMDB's bytewise order is
// numeric order. Records that hold user data carry a CRC-32 of the rest of the
// record, so a damaged record reads as Corruption instead of as wrong data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gorch/base/status.h"
#include "gorch/store/store.h"

namespace gorch::store::internal {

// Table "kv": user key -> the key's newest state. The checksum covers the user key
// too, so a damaged key is caught as well as a damaged value.
struct KvRecord {
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
  std::string_view value;
};
std::string EncodeKv(std::string_view key, const KvRecord& r);
Status DecodeKv(std::string_view key, std::string_view data, KvRecord* out);

// Table "history": (revision, sub) -> one change. The revision is in the key.
struct EventRecord {
  EventType type = EventType::kPut;
  std::string_view key;
  int64_t create_revision = 0;  // put only
  int64_t version = 0;          // put only
  int64_t lease = 0;            // put only
  std::string_view value;       // put only
};
std::string EncodeEvent(const EventRecord& r);
Status DecodeEvent(std::string_view data, EventRecord* out);

// History key: 8-byte big-endian revision + 4-byte big-endian sub-revision (the
// change's index within its transaction).
inline constexpr size_t kHistoryKeySize = 12;
std::string EncodeHistoryKey(int64_t revision, uint32_t sub);
bool DecodeHistoryKey(std::string_view data, int64_t* revision, uint32_t* sub);

// Table "keyrev" (dupsort, dupfixed): user key -> one 16-byte entry per change of the
// key: revision (8, BE), sub (4, BE), type (1: 0 put, 1 delete), 3 zero bytes. Sorted
// by revision, so the key's state at revision R is its last entry <= R.
inline constexpr size_t kKeyRevSize = 16;
struct KeyRevEntry {
  int64_t revision = 0;
  uint32_t sub = 0;
  EventType type = EventType::kPut;
};
std::string EncodeKeyRev(const KeyRevEntry& e);
bool DecodeKeyRev(std::string_view data, KeyRevEntry* out);

// Table "leases": 8-byte big-endian id -> 8-byte LE granted TTL (seconds).
// Table "lease_keys" (dupsort): 8-byte big-endian id -> each attached user key.
std::string EncodeLeaseId(int64_t id);
bool DecodeLeaseId(std::string_view data, int64_t* id);

// Fixed-width integers for meta values.
std::string EncodeI64(int64_t v);
bool DecodeI64(std::string_view data, int64_t* v);

}  // namespace gorch::store::internal

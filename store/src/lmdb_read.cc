#include "lmdb_read.h"

#include <string>

#include "key_range.h"
#include "lmdb_codec.h"

namespace gorch::store::internal {
namespace {

Status GetMetaI64(MDB_txn* txn, const Tables& t, std::string_view name, int64_t* out) {
  MDB_val k = Val(name), d;
  int rc = mdb_get(txn, t.meta, &k, &d);
  if (rc == MDB_NOTFOUND) return Status::Corruption("meta record '" + std::string(name) + "' is missing");
  if (rc != 0) return MdbError(rc, "read meta");
  if (!DecodeI64(View(d), out)) return Status::Corruption("meta record '" + std::string(name) + "' is malformed");
  return Status::Ok();
}

KeyValue ToKeyValue(std::string_view key, const KvRecord& r, bool keys_only) {
  KeyValue kv;
  kv.key = std::string(key);
  if (!keys_only) kv.value = std::string(r.value);
  kv.create_revision = r.create_revision;
  kv.mod_revision = r.mod_revision;
  kv.version = r.version;
  kv.lease = r.lease;
  return kv;
}

bool WantMore(const RangeRequest& req, const RangeResponse& out) {
  return !req.count_only && (req.limit == 0 || int64_t(out.kvs.size()) < req.limit);
}

Status ReadLatest(MDB_txn* txn, const Tables& t, const RangeRequest& req, RangeResponse* out) {
  Cursor c(txn, t.kv);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open kv cursor");
  MDB_val k = Val(req.key), d;
  int rc = c.Get(&k, &d, req.range_end.empty() ? MDB_SET_KEY : MDB_SET_RANGE);
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT)) {
    std::string_view key = View(k);
    if (PastEnd(key, req.key, req.range_end)) break;
    if (WantMore(req, *out)) {
      KvRecord r;
      Status s = DecodeKv(key, View(d), &r);
      if (!s.ok()) return Status::Corruption(s.message() + " (key " + std::string(key) + ")");
      out->kvs.push_back(ToKeyValue(key, r, req.keys_only));
    }
    ++out->count;
    if (req.range_end.empty()) break;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "read kv");
  return Status::Ok();
}

// Positions on the last keyrev entry of the cursor's current key with revision <=
// `revision`; *found is false when the key has none.
Status LastEntryAtOrBefore(Cursor& c, MDB_val* k, int64_t revision, KeyRevEntry* entry, bool* found) {
  std::string probe = EncodeKeyRev(KeyRevEntry{revision + 1, 0, EventType::kPut});
  MDB_val d = Val(probe);
  int rc = c.Get(k, &d, MDB_GET_BOTH_RANGE);
  if (rc == 0) {
    rc = c.Get(k, &d, MDB_PREV_DUP);
  } else if (rc == MDB_NOTFOUND) {
    rc = c.Get(k, &d, MDB_SET_KEY);
    if (rc == 0) rc = c.Get(k, &d, MDB_LAST_DUP);
  }
  if (rc == MDB_NOTFOUND) {
    *found = false;
    return Status::Ok();
  }
  if (rc != 0) return MdbError(rc, "read keyrev");
  if (!DecodeKeyRev(View(d), entry)) return Status::Corruption("keyrev entry is malformed");
  *found = true;
  return Status::Ok();
}

Status ReadAtRevision(MDB_txn* txn, const Tables& t, const RangeRequest& req, RangeResponse* out) {
  Cursor c(txn, t.keyrev);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open keyrev cursor");
  MDB_val k = Val(req.key), d;
  int rc = c.Get(&k, &d, req.range_end.empty() ? MDB_SET_KEY : MDB_SET_RANGE);
  while (rc == 0) {
    std::string key(View(k));
    if (PastEnd(key, req.key, req.range_end)) break;
    MDB_val kk = Val(key);
    KeyRevEntry e;
    bool found = false;
    GORCH_RETURN_IF_ERROR(LastEntryAtOrBefore(c, &kk, req.revision, &e, &found));
    if (found && e.type == EventType::kPut) {
      if (WantMore(req, *out)) {
        std::string hk = EncodeHistoryKey(e.revision, e.sub);
        MDB_val hkv = Val(hk), hd;
        int hrc = mdb_get(txn, t.history, &hkv, &hd);
        if (hrc == MDB_NOTFOUND) return Status::Corruption("history record missing for key " + key);
        if (hrc != 0) return MdbError(hrc, "read history");
        EventRecord ev;
        GORCH_RETURN_IF_ERROR(DecodeEvent(View(hd), &ev));
        KvRecord r{ev.create_revision, e.revision, ev.version, ev.lease, ev.value};
        out->kvs.push_back(ToKeyValue(key, r, req.keys_only));
      }
      ++out->count;
    }
    if (req.range_end.empty()) break;
    // Re-seek: the probe may have left the cursor anywhere within this key.
    kk = Val(key);
    rc = c.Get(&kk, &d, MDB_SET_KEY);
    if (rc == 0) rc = c.Get(&kk, &d, MDB_NEXT_NODUP);
    k = kk;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "read keyrev");
  return Status::Ok();
}

}  // namespace

Status ReadMeta(MDB_txn* txn, const Tables& t, MetaState* out) {
  int64_t format = 0;
  GORCH_RETURN_IF_ERROR(GetMetaI64(txn, t, kMetaFormat, &format));
  out->format_version = static_cast<uint32_t>(format);
  GORCH_RETURN_IF_ERROR(GetMetaI64(txn, t, kMetaRevision, &out->revision));
  GORCH_RETURN_IF_ERROR(GetMetaI64(txn, t, kMetaCompact, &out->compact_revision));
  return Status::Ok();
}

Status ReadWalSeq(MDB_txn* txn, const Tables& t, MetaState* out) {
  MDB_val k = Val(kMetaWalSeq), d;
  if (out->format_version < 2 && mdb_get(txn, t.meta, &k, &d) == MDB_NOTFOUND) {
    out->wal_seq = 0;  // format 1: no write-ahead log yet
    return Status::Ok();
  }
  return GetMetaI64(txn, t, kMetaWalSeq, &out->wal_seq);
}

Status GetCurrent(MDB_txn* txn, const Tables& t, std::string_view key, std::optional<KeyValue>* out) {
  MDB_val k = Val(key), d;
  int rc = mdb_get(txn, t.kv, &k, &d);
  if (rc == MDB_NOTFOUND) {
    out->reset();
    return Status::Ok();
  }
  if (rc != 0) return MdbError(rc, "read kv");
  KvRecord r;
  Status s = DecodeKv(key, View(d), &r);
  if (!s.ok()) return Status::Corruption(s.message() + " (key " + std::string(key) + ")");
  *out = ToKeyValue(key, r, false);
  return Status::Ok();
}

Status ReadRange(MDB_txn* txn, const Tables& t, const RangeRequest& req, const MetaState& meta,
                 RangeResponse* out) {
  out->revision = meta.revision;
  if (req.revision > meta.revision) {
    return Status::InvalidArgument("required revision " + std::to_string(req.revision) +
                                   " is a future revision (the store is at " +
                                   std::to_string(meta.revision) + ")");
  }
  if (req.revision > 0 && req.revision < meta.compact_revision) {
    return Status::Compacted("required revision " + std::to_string(req.revision) +
                             " has been compacted (compacted up to " +
                             std::to_string(meta.compact_revision) + ")");
  }
  Status s = (req.revision == 0 || req.revision == meta.revision) ? ReadLatest(txn, t, req, out)
                                                                   : ReadAtRevision(txn, t, req, out);
  GORCH_RETURN_IF_ERROR(s);
  out->more = !req.count_only && req.limit > 0 && out->count > req.limit;
  return Status::Ok();
}

Status ReadHistory(MDB_txn* txn, const Tables& t, int64_t from, int64_t to, std::string_view key,
                   std::string_view range_end, size_t max_events, std::vector<Event>* out,
                   int64_t* scanned_to) {
  *scanned_to = from - 1;
  if (from > to) return Status::Ok();
  Cursor c(txn, t.history);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open history cursor");
  std::string start = EncodeHistoryKey(from, 0);
  MDB_val k = Val(start), d;
  int rc = c.Get(&k, &d, MDB_SET_RANGE);
  int64_t last_rev = 0;
  size_t collected = 0;
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT)) {
    int64_t rev = 0;
    uint32_t sub = 0;
    if (!DecodeHistoryKey(View(k), &rev, &sub)) return Status::Corruption("history key is malformed");
    if (rev > to) break;
    if (rev != last_rev) {
      if (collected >= max_events) {
        *scanned_to = rev - 1;
        return Status::Ok();
      }
      last_rev = rev;
    }
    EventRecord ev;
    GORCH_RETURN_IF_ERROR(DecodeEvent(View(d), &ev));
    if (!InRange(ev.key, key, range_end)) continue;
    Event e;
    e.type = ev.type;
    e.kv.key = std::string(ev.key);
    e.kv.mod_revision = rev;
    if (ev.type == EventType::kPut) {
      e.kv.value = std::string(ev.value);
      e.kv.create_revision = ev.create_revision;
      e.kv.version = ev.version;
      e.kv.lease = ev.lease;
    }
    out->push_back(std::move(e));
    ++collected;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "read history");
  *scanned_to = to;
  return Status::Ok();
}

Status ReadLeaseKeys(MDB_txn* txn, const Tables& t, int64_t id, std::vector<std::string>* out) {
  Cursor c(txn, t.lease_keys);
  if (c.open_rc() != 0) return MdbError(c.open_rc(), "open lease_keys cursor");
  std::string lid = EncodeLeaseId(id);
  MDB_val k = Val(lid), d;
  int rc = c.Get(&k, &d, MDB_SET_KEY);
  for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT_DUP)) out->emplace_back(View(d));
  if (rc != 0 && rc != MDB_NOTFOUND) return MdbError(rc, "read lease_keys");
  return Status::Ok();
}

}  // namespace gorch::store::internal

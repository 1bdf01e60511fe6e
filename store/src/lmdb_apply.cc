#include "lmdb_apply.h"

#include <string>

#include "key_range.h"
#include "lmdb_codec.h"
#include "lmdb_wal.h"

namespace gorch::store::internal {

BatchWriter::BatchWriter(MDB_txn* txn, const Tables& tables, const MetaState& meta,
                         std::function<bool(int64_t)> lease_expired, std::mt19937_64* rng)
    : txn_(txn), t_(tables), meta_(meta), lease_expired_(std::move(lease_expired)), rng_(rng) {}

Status BatchWriter::Check(int rc, std::string_view what) {
  if (rc == 0) return Status::Ok();
  if (mdb_rc_ == 0) mdb_rc_ = rc;
  return MdbError(rc, what);
}

Status BatchWriter::Put(MDB_dbi dbi, std::string_view key, std::string_view data, std::string_view what) {
  MDB_val k = Val(key), d = Val(data);
  if (redo_ != nullptr) AppendRedoOp(redo_, TableIndex(t_, dbi), RedoKind::kPut, key, data);
  return Check(mdb_put(txn_, dbi, &k, &d, 0), what);
}

// History keys (revision, sub) only grow, so they go at the table's end:
// MDB_APPEND skips the search and splits a full page by starting a new one instead
// of halving it, so history pages end up full rather than half full. Should a key
// not be the largest after all (damage), it is put the ordinary way.
Status BatchWriter::PutHistory(std::string_view key, std::string_view data) {
  MDB_val k = Val(key), d = Val(data);
  if (redo_ != nullptr) AppendRedoOp(redo_, TableIndex(t_, t_.history), RedoKind::kPut, key, data);
  int rc = mdb_put(txn_, t_.history, &k, &d, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, t_.history, &k, &d, 0);
  return Check(rc, "write history");
}

Status BatchWriter::Del(MDB_dbi dbi, std::string_view key, const std::string_view* data,
                        std::string_view what) {
  MDB_val k = Val(key);
  MDB_val d;
  if (data != nullptr) d = Val(*data);
  if (redo_ != nullptr) {
    AppendRedoOp(redo_, TableIndex(t_, dbi), data != nullptr ? RedoKind::kDelDup : RedoKind::kDel, key,
                 data != nullptr ? *data : std::string_view());
  }
  int rc = mdb_del(txn_, dbi, &k, data != nullptr ? &d : nullptr);
  if (rc == MDB_NOTFOUND) return Status::Ok();
  return Check(rc, what);
}

Status BatchWriter::Apply(PendingWrite* w) {
  w->status = Status::Ok();
  w->txn_response = TxnResponse{};
  w->grant = LeaseGrantResponse{};
  sub_ = 0;
  switch (w->kind) {
    case PendingWrite::Kind::kTxn: return ApplyTxn(w);
    case PendingWrite::Kind::kLeaseGrant: return ApplyLeaseGrant(w);
    case PendingWrite::Kind::kLeaseRevoke: return ApplyLeaseRevoke(w, false);
    case PendingWrite::Kind::kLeaseExpire: return ApplyLeaseRevoke(w, true);
    case PendingWrite::Kind::kCompact: return ApplyCompact(w);
  }
  return Status::Internal("unknown write kind");
}

Status BatchWriter::Finish() {
  GORCH_RETURN_IF_ERROR(Put(t_.meta, kMetaRevision, EncodeI64(meta_.revision), "write meta"));
  GORCH_RETURN_IF_ERROR(Put(t_.meta, kMetaCompact, EncodeI64(meta_.compact_revision), "write meta"));
  return Put(t_.meta, kMetaWalSeq, EncodeI64(meta_.wal_seq), "write meta");
}

Status BatchWriter::EvalCompare(const Compare& c, bool* holds) {
  std::optional<KeyValue> cur;
  GORCH_RETURN_IF_ERROR(GetCurrent(txn_, t_, c.key, &cur));
  int cmp = 0;
  if (c.target == Compare::Target::kValue) {
    if (!cur) {  // etcd: a value compare on a missing key never holds
      *holds = false;
      return Status::Ok();
    }
    int r = cur->value.compare(c.value);
    cmp = r < 0 ? -1 : (r > 0 ? 1 : 0);
  } else {
    int64_t v = 0;
    if (cur) {
      switch (c.target) {
        case Compare::Target::kVersion: v = cur->version; break;
        case Compare::Target::kCreateRevision: v = cur->create_revision; break;
        case Compare::Target::kModRevision: v = cur->mod_revision; break;
        case Compare::Target::kLease: v = cur->lease; break;
        case Compare::Target::kValue: break;
      }
    }
    cmp = v < c.number ? -1 : (v > c.number ? 1 : 0);
  }
  switch (c.op) {
    case Compare::Op::kEqual: *holds = cmp == 0; break;
    case Compare::Op::kNotEqual: *holds = cmp != 0; break;
    case Compare::Op::kLess: *holds = cmp < 0; break;
    case Compare::Op::kGreater: *holds = cmp > 0; break;
  }
  return Status::Ok();
}

Status BatchWriter::Precheck(const std::vector<Op>& ops, Status* verdict) {
  for (const Op& op : ops) {
    if (auto* r = std::get_if<RangeRequest>(&op.request)) {
      if (r->revision > meta_.revision) {
        *verdict = Status::InvalidArgument("required revision " + std::to_string(r->revision) +
                                           " is a future revision (the store is at " +
                                           std::to_string(meta_.revision) + ")");
        return Status::Ok();
      }
      if (r->revision > 0 && r->revision < meta_.compact_revision) {
        *verdict = Status::Compacted("required revision " + std::to_string(r->revision) +
                                     " has been compacted (compacted up to " +
                                     std::to_string(meta_.compact_revision) + ")");
        return Status::Ok();
      }
    } else if (auto* p = std::get_if<PutRequest>(&op.request); p != nullptr && p->lease != 0) {
      std::string id = EncodeLeaseId(p->lease);
      MDB_val k = Val(id), d;
      int rc = mdb_get(txn_, t_.leases, &k, &d);
      if (rc == MDB_NOTFOUND) {
        *verdict = Status::NotFound("lease " + std::to_string(p->lease) + " not found");
        return Status::Ok();
      }
      GORCH_RETURN_IF_ERROR(Check(rc, "read leases"));
    }
  }
  return Status::Ok();
}

Status BatchWriter::ApplyTxn(PendingWrite* w) {
  const TxnRequest& req = *w->txn;
  bool succeeded = true;
  for (const Compare& c : req.compare) {
    GORCH_RETURN_IF_ERROR(EvalCompare(c, &succeeded));
    if (!succeeded) break;
  }
  const std::vector<Op>& ops = succeeded ? req.success : req.failure;
  Status verdict;
  GORCH_RETURN_IF_ERROR(Precheck(ops, &verdict));
  if (!verdict.ok()) {
    w->status = verdict;
    return Status::Ok();
  }
  const int64_t rev = meta_.revision + 1;
  TxnResponse& resp = w->txn_response;
  resp.succeeded = succeeded;
  resp.responses.reserve(ops.size());
  for (const Op& op : ops) {
    OpResponse out;
    if (auto* r = std::get_if<RangeRequest>(&op.request)) {
      RangeResponse rr;
      GORCH_RETURN_IF_ERROR(ReadRange(txn_, t_, *r, meta_, &rr));
      out.response = std::move(rr);
    } else if (auto* p = std::get_if<PutRequest>(&op.request)) {
      PutResponse pr;
      GORCH_RETURN_IF_ERROR(ApplyPut(*p, rev, &pr));
      out.response = std::move(pr);
    } else {
      DeleteResponse dr;
      GORCH_RETURN_IF_ERROR(ApplyDelete(std::get<DeleteRequest>(op.request), rev, &dr));
      out.response = std::move(dr);
    }
    resp.responses.push_back(std::move(out));
  }
  if (sub_ > 0) meta_.revision = rev;
  resp.revision = meta_.revision;
  for (OpResponse& r : resp.responses) {
    if (auto* p = std::get_if<PutResponse>(&r.response)) p->revision = meta_.revision;
    if (auto* d = std::get_if<DeleteResponse>(&r.response)) d->revision = meta_.revision;
    if (auto* g = std::get_if<RangeResponse>(&r.response)) g->revision = meta_.revision;
  }
  return Status::Ok();
}

Status BatchWriter::ApplyPut(const PutRequest& p, int64_t rev, PutResponse* out) {
  std::optional<KeyValue> prev;
  GORCH_RETURN_IF_ERROR(GetCurrent(txn_, t_, p.key, &prev));
  KvRecord rec;
  rec.create_revision = prev ? prev->create_revision : rev;
  rec.mod_revision = rev;
  rec.version = prev ? prev->version + 1 : 1;
  rec.lease = p.lease;
  rec.value = p.value;
  GORCH_RETURN_IF_ERROR(Put(t_.kv, p.key, EncodeKv(p.key, rec), "write kv"));
  uint32_t sub = sub_++;
  GORCH_RETURN_IF_ERROR(
      Put(t_.keyrev, p.key, EncodeKeyRev(KeyRevEntry{rev, sub, EventType::kPut}), "write keyrev"));
  EventRecord ev{EventType::kPut, p.key, rec.create_revision, rec.version, rec.lease, p.value};
  GORCH_RETURN_IF_ERROR(PutHistory(EncodeHistoryKey(rev, sub), EncodeEvent(ev)));
  int64_t old_lease = prev ? prev->lease : 0;
  if (old_lease != p.lease) {
    std::string_view key = p.key;
    if (old_lease != 0) GORCH_RETURN_IF_ERROR(Del(t_.lease_keys, EncodeLeaseId(old_lease), &key, "write lease_keys"));
    if (p.lease != 0) GORCH_RETURN_IF_ERROR(Put(t_.lease_keys, EncodeLeaseId(p.lease), key, "write lease_keys"));
  }
  if (p.prev_kv && prev) out->prev_kv = std::move(prev);
  return Status::Ok();
}

Status BatchWriter::DeleteKey(std::string_view key, int64_t lease, int64_t rev) {
  GORCH_RETURN_IF_ERROR(Del(t_.kv, key, nullptr, "delete kv"));
  uint32_t sub = sub_++;
  GORCH_RETURN_IF_ERROR(
      Put(t_.keyrev, key, EncodeKeyRev(KeyRevEntry{rev, sub, EventType::kDelete}), "write keyrev"));
  EventRecord ev;
  ev.type = EventType::kDelete;
  ev.key = key;
  GORCH_RETURN_IF_ERROR(PutHistory(EncodeHistoryKey(rev, sub), EncodeEvent(ev)));
  if (lease != 0) GORCH_RETURN_IF_ERROR(Del(t_.lease_keys, EncodeLeaseId(lease), &key, "write lease_keys"));
  return Status::Ok();
}

Status BatchWriter::ApplyDelete(const DeleteRequest& d, int64_t rev, DeleteResponse* out) {
  RangeRequest r;
  r.key = d.key;
  r.range_end = d.range_end;
  r.keys_only = !d.prev_kv;
  RangeResponse victims;
  GORCH_RETURN_IF_ERROR(ReadRange(txn_, t_, r, meta_, &victims));
  for (const KeyValue& kv : victims.kvs) GORCH_RETURN_IF_ERROR(DeleteKey(kv.key, kv.lease, rev));
  out->deleted = int64_t(victims.kvs.size());
  if (d.prev_kv) out->prev_kvs = std::move(victims.kvs);
  return Status::Ok();
}

Status BatchWriter::ApplyLeaseGrant(PendingWrite* w) {
  int64_t id = w->lease_id;
  for (int attempt = 0;; ++attempt) {
    if (w->lease_id == 0) id = int64_t((*rng_)() >> 1);
    if (id == 0) continue;
    std::string k = EncodeLeaseId(id);
    MDB_val kv = Val(k), d;
    int rc = mdb_get(txn_, t_.leases, &kv, &d);
    if (rc == MDB_NOTFOUND) break;
    GORCH_RETURN_IF_ERROR(Check(rc, "read leases"));
    if (w->lease_id != 0) {
      w->status = Status::AlreadyExists("lease " + std::to_string(id) + " already exists");
      return Status::Ok();
    }
  }
  GORCH_RETURN_IF_ERROR(Put(t_.leases, EncodeLeaseId(id), EncodeI64(w->ttl), "write leases"));
  lease_changes_.push_back(LeaseChange{id, w->ttl});
  w->grant = LeaseGrantResponse{id, w->ttl};
  return Status::Ok();
}

Status BatchWriter::ApplyLeaseRevoke(PendingWrite* w, bool only_if_expired) {
  const int64_t id = w->lease_id;
  std::string lid = EncodeLeaseId(id);
  MDB_val k = Val(lid), d;
  int rc = mdb_get(txn_, t_.leases, &k, &d);
  if (rc == MDB_NOTFOUND) {
    if (!only_if_expired) w->status = Status::NotFound("lease " + std::to_string(id) + " not found");
    return Status::Ok();
  }
  GORCH_RETURN_IF_ERROR(Check(rc, "read leases"));
  if (only_if_expired && !lease_expired_(id)) return Status::Ok();  // renewed meanwhile
  std::vector<std::string> keys;
  GORCH_RETURN_IF_ERROR(ReadLeaseKeys(txn_, t_, id, &keys));
  const int64_t rev = meta_.revision + 1;
  for (const std::string& key : keys) {
    std::optional<KeyValue> cur;
    GORCH_RETURN_IF_ERROR(GetCurrent(txn_, t_, key, &cur));
    if (cur && cur->lease == id) GORCH_RETURN_IF_ERROR(DeleteKey(key, 0, rev));
  }
  GORCH_RETURN_IF_ERROR(Del(t_.lease_keys, lid, nullptr, "delete lease_keys"));
  GORCH_RETURN_IF_ERROR(Del(t_.leases, lid, nullptr, "delete lease"));
  if (sub_ > 0) meta_.revision = rev;
  lease_changes_.push_back(LeaseChange{id, 0});
  return Status::Ok();
}

Status BatchWriter::ApplyCompact(PendingWrite* w) {
  const int64_t target = w->compact_revision;
  if (target > meta_.revision) {
    w->status = Status::InvalidArgument("compact revision " + std::to_string(target) +
                                        " is a future revision (the store is at " +
                                        std::to_string(meta_.revision) + ")");
    return Status::Ok();
  }
  if (target <= meta_.compact_revision) {
    w->status = Status::Compacted("revision " + std::to_string(target) +
                                  " has already been compacted (compacted up to " +
                                  std::to_string(meta_.compact_revision) + ")");
    return Status::Ok();
  }
  std::string from = EncodeHistoryKey(meta_.compact_revision, 0);
  for (bool done = false; !done;) GORCH_RETURN_IF_ERROR(CompactChunk(&from, target, &done));
  meta_.compact_revision = target;
  return Status::Ok();
}

// Deletes the keyrev entries (and their history records) of `key` older than `rev`.
Status BatchWriter::DropOlderVersions(std::string_view key, int64_t rev) {
  std::vector<std::string> older;
  {
    Cursor c(txn_, t_.keyrev);
    GORCH_RETURN_IF_ERROR(Check(c.open_rc(), "open keyrev cursor"));
    MDB_val k = Val(key), d;
    int rc = c.Get(&k, &d, MDB_SET_KEY);
    for (; rc == 0; rc = c.Get(&k, &d, MDB_NEXT_DUP)) {
      KeyRevEntry e;
      if (!DecodeKeyRev(View(d), &e)) return Status::Corruption("keyrev entry is malformed");
      if (e.revision >= rev) break;
      older.emplace_back(View(d));
    }
    if (rc != 0 && rc != MDB_NOTFOUND) GORCH_RETURN_IF_ERROR(Check(rc, "read keyrev"));
  }
  for (const std::string& entry : older) {
    KeyRevEntry e;
    DecodeKeyRev(entry, &e);
    std::string_view data = entry;
    GORCH_RETURN_IF_ERROR(Del(t_.keyrev, key, &data, "compact keyrev"));
    GORCH_RETURN_IF_ERROR(Del(t_.history, EncodeHistoryKey(e.revision, e.sub), nullptr, "compact history"));
  }
  return Status::Ok();
}

// Compaction to `until`: for every change at a revision below `until`, the key's older
// versions go (this change supersedes them), and a delete goes too (a missing entry
// reads as "no key"). What stays below `until` is each live key's newest version.
Status BatchWriter::CompactChunk(std::string* from_key, int64_t until, bool* done) {
  constexpr size_t kChunk = 4096;
  struct Change {
    std::string key;
    int64_t rev;
    uint32_t sub;
    EventType type;
  };
  std::vector<Change> changes;
  {
    Cursor c(txn_, t_.history);
    GORCH_RETURN_IF_ERROR(Check(c.open_rc(), "open history cursor"));
    MDB_val k = Val(*from_key), d;
    int rc = c.Get(&k, &d, MDB_SET_RANGE);
    for (; rc == 0 && changes.size() < kChunk; rc = c.Get(&k, &d, MDB_NEXT)) {
      Change ch;
      if (!DecodeHistoryKey(View(k), &ch.rev, &ch.sub)) return Status::Corruption("history key is malformed");
      if (ch.rev >= until) {
        rc = MDB_NOTFOUND;
        break;
      }
      EventRecord ev;
      GORCH_RETURN_IF_ERROR(DecodeEvent(View(d), &ev));
      ch.key = std::string(ev.key);
      ch.type = ev.type;
      changes.push_back(std::move(ch));
    }
    if (rc != 0 && rc != MDB_NOTFOUND) GORCH_RETURN_IF_ERROR(Check(rc, "read history"));
    *done = rc == MDB_NOTFOUND;
  }
  for (const Change& ch : changes) {
    GORCH_RETURN_IF_ERROR(DropOlderVersions(ch.key, ch.rev));
    if (ch.type == EventType::kDelete) {
      std::string entry = EncodeKeyRev(KeyRevEntry{ch.rev, ch.sub, EventType::kDelete});
      std::string_view data = entry;
      GORCH_RETURN_IF_ERROR(Del(t_.keyrev, ch.key, &data, "compact keyrev"));
      GORCH_RETURN_IF_ERROR(Del(t_.history, EncodeHistoryKey(ch.rev, ch.sub), nullptr, "compact history"));
    }
  }
  if (!changes.empty()) *from_key = EncodeHistoryKey(changes.back().rev, changes.back().sub + 1);
  return Status::Ok();
}

}  // namespace gorch::store::internal

// Store's public methods: validate, then call the backend. Also the request
// builders and the system clock.
#include "gorch/store/store.h"

#include <chrono>
#include <set>
#include <string>

#include "gorch/store/clock.h"
#include "key_range.h"

namespace gorch::store {
namespace {

using internal::InRange;
using internal::IsAllFrom;

std::string Bytes(size_t n) { return std::to_string(n) + " bytes"; }

Status ValidateKey(std::string_view key, std::string_view what) {
  if (key.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (key.size() > kMaxKeyBytes) {
    return Status::ResourceExhausted(std::string(what) + " is " + Bytes(key.size()) +
                                     "; the limit is " + Bytes(kMaxKeyBytes));
  }
  return Status::Ok();
}

Status ValidateKeyRange(std::string_view key, std::string_view range_end) {
  GORCH_RETURN_IF_ERROR(ValidateKey(key, "key"));
  if (range_end.empty() || IsAllFrom(range_end)) return Status::Ok();
  if (range_end.size() > kMaxKeyBytes) {
    return Status::ResourceExhausted("range_end is " + Bytes(range_end.size()) + "; the limit is " +
                                     Bytes(kMaxKeyBytes));
  }
  if (range_end <= key) {
    return Status::InvalidArgument("invalid range: range_end must be greater than key (or empty "
                                   "for one key, or \"\\0\" for every key from key on)");
  }
  return Status::Ok();
}

Status ValidateSize(size_t bytes) {
  if (bytes > kMaxRequestBytes) {
    return Status::ResourceExhausted("request is " + Bytes(bytes) + "; the limit is " +
                                     Bytes(kMaxRequestBytes) + " (1.5 MiB)");
  }
  return Status::Ok();
}

size_t OpBytes(const Op& op) {
  if (auto* r = std::get_if<RangeRequest>(&op.request)) return r->key.size() + r->range_end.size();
  if (auto* p = std::get_if<PutRequest>(&op.request)) return p->key.size() + p->value.size();
  auto& d = std::get<DeleteRequest>(op.request);
  return d.key.size() + d.range_end.size();
}

Status ValidateOp(const Op& op) {
  if (auto* r = std::get_if<RangeRequest>(&op.request)) return ValidateRange(*r);
  if (auto* p = std::get_if<PutRequest>(&op.request)) return ValidatePut(*p);
  return ValidateDelete(std::get<DeleteRequest>(op.request));
}

// etcd's rule: within one branch a key is put at most once and is not also in a
// deleted range, so every change of a revision is to a distinct key.
Status CheckBranchKeys(const std::vector<Op>& ops) {
  std::set<std::string_view> puts;
  for (const Op& op : ops) {
    if (auto* p = std::get_if<PutRequest>(&op.request)) {
      if (!puts.insert(p->key).second) {
        return Status::InvalidArgument("duplicate key given in txn request: " + p->key);
      }
    }
  }
  for (const Op& op : ops) {
    auto* d = std::get_if<DeleteRequest>(&op.request);
    if (d == nullptr) continue;
    for (std::string_view key : puts) {
      if (InRange(key, d->key, d->range_end)) {
        return Status::InvalidArgument("txn puts key " + std::string(key) +
                                       " and deletes it in the same branch");
      }
    }
  }
  return Status::Ok();
}

Status ValidateBranch(const std::vector<Op>& ops, std::string_view name) {
  if (ops.size() > kMaxTxnOps) {
    return Status::ResourceExhausted("txn " + std::string(name) + " branch has " +
                                     std::to_string(ops.size()) + " operations; the limit is " +
                                     std::to_string(kMaxTxnOps));
  }
  for (const Op& op : ops) GORCH_RETURN_IF_ERROR(ValidateOp(op));
  return CheckBranchKeys(ops);
}

}  // namespace

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

RangeRequest RangeRequest::Key(std::string key, int64_t revision) {
  RangeRequest r;
  r.key = std::move(key);
  r.revision = revision;
  return r;
}

RangeRequest RangeRequest::Prefix(std::string_view prefix, int64_t revision) {
  RangeRequest r;
  r.key = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  r.range_end = PrefixEnd(prefix);
  r.revision = revision;
  return r;
}

DeleteRequest DeleteRequest::Key(std::string key) {
  DeleteRequest d;
  d.key = std::move(key);
  return d;
}

DeleteRequest DeleteRequest::Prefix(std::string_view prefix) {
  DeleteRequest d;
  d.key = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  d.range_end = PrefixEnd(prefix);
  return d;
}

WatchRequest WatchRequest::Prefix(std::string_view prefix, int64_t start_revision) {
  WatchRequest w;
  w.key = prefix.empty() ? std::string(1, '\0') : std::string(prefix);
  w.range_end = PrefixEnd(prefix);
  w.start_revision = start_revision;
  return w;
}

namespace {
Compare MakeCompare(std::string key, Compare::Target target, Compare::Op op, int64_t number) {
  Compare c;
  c.key = std::move(key);
  c.target = target;
  c.op = op;
  c.number = number;
  return c;
}
}  // namespace

Compare Compare::Version(std::string key, Op op, int64_t version) {
  return MakeCompare(std::move(key), Target::kVersion, op, version);
}
Compare Compare::CreateRevision(std::string key, Op op, int64_t revision) {
  return MakeCompare(std::move(key), Target::kCreateRevision, op, revision);
}
Compare Compare::ModRevision(std::string key, Op op, int64_t revision) {
  return MakeCompare(std::move(key), Target::kModRevision, op, revision);
}
Compare Compare::Lease(std::string key, Op op, int64_t lease) {
  return MakeCompare(std::move(key), Target::kLease, op, lease);
}
Compare Compare::Value(std::string key, Op op, std::string value) {
  Compare c = MakeCompare(std::move(key), Target::kValue, op, 0);
  c.value = std::move(value);
  return c;
}

Op Op::Put(std::string key, std::string value, int64_t lease) {
  PutRequest p;
  p.key = std::move(key);
  p.value = std::move(value);
  p.lease = lease;
  return Op{std::move(p)};
}

Status ValidateRange(const RangeRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateKeyRange(req.key, req.range_end));
  if (req.limit < 0) return Status::InvalidArgument("limit is negative");
  if (req.revision < 0) return Status::InvalidArgument("revision is negative");
  return Status::Ok();
}

Status ValidatePut(const PutRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateKey(req.key, "key"));
  GORCH_RETURN_IF_ERROR(ValidateSize(req.key.size() + req.value.size()));
  if (req.lease < 0) return Status::InvalidArgument("lease id is negative");
  return Status::Ok();
}

Status ValidateDelete(const DeleteRequest& req) { return ValidateKeyRange(req.key, req.range_end); }

Status ValidateWatch(const WatchRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateKeyRange(req.key, req.range_end));
  if (req.start_revision < 0) return Status::InvalidArgument("start revision is negative");
  return Status::Ok();
}

Status ValidateTxn(const TxnRequest& req) {
  if (req.compare.size() > kMaxTxnOps) {
    return Status::ResourceExhausted("txn has " + std::to_string(req.compare.size()) +
                                     " compares; the limit is " + std::to_string(kMaxTxnOps));
  }
  size_t bytes = 0;
  for (const Compare& c : req.compare) {
    GORCH_RETURN_IF_ERROR(ValidateKey(c.key, "compare key"));
    bytes += c.key.size() + c.value.size();
  }
  GORCH_RETURN_IF_ERROR(ValidateBranch(req.success, "success"));
  GORCH_RETURN_IF_ERROR(ValidateBranch(req.failure, "failure"));
  for (const Op& op : req.success) bytes += OpBytes(op);
  for (const Op& op : req.failure) bytes += OpBytes(op);
  return ValidateSize(bytes);
}

Result<RangeResponse> Store::Range(const RangeRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateRange(req));
  return DoRange(req);
}

Result<std::optional<KeyValue>> Store::Get(std::string_view key, int64_t revision) {
  auto r = Range(RangeRequest::Key(std::string(key), revision));
  if (!r.ok()) return r.status();
  if (r->kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(r->kvs.front()));
}

Result<PutResponse> Store::Put(const PutRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidatePut(req));
  return DoPut(req);
}

Result<int64_t> Store::Put(std::string_view key, std::string_view value, int64_t lease) {
  PutRequest req;
  req.key = std::string(key);
  req.value = std::string(value);
  req.lease = lease;
  auto r = Put(req);
  if (!r.ok()) return r.status();
  return r->revision;
}

Result<DeleteResponse> Store::Delete(const DeleteRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateDelete(req));
  return DoDelete(req);
}

Result<TxnResponse> Store::Txn(const TxnRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateTxn(req));
  return DoTxn(req);
}

void Store::PutAsync(PutRequest req, PutCallback done) {
  if (Status s = ValidatePut(req); !s.ok()) {
    done(s);
    return;
  }
  DoPutAsync(std::move(req), std::move(done));
}

void Store::TxnAsync(TxnRequest req, TxnCallback done) {
  if (Status s = ValidateTxn(req); !s.ok()) {
    done(s);
    return;
  }
  DoTxnAsync(std::move(req), std::move(done));
}

void Store::DoPutAsync(PutRequest req, PutCallback done) { done(DoPut(req)); }

void Store::DoTxnAsync(TxnRequest req, TxnCallback done) { done(DoTxn(req)); }

Result<std::unique_ptr<WatchStream>> Store::Watch(const WatchRequest& req) {
  GORCH_RETURN_IF_ERROR(ValidateWatch(req));
  return DoWatch(req);
}

Status Store::Compact(int64_t revision) {
  if (revision <= 0) return Status::InvalidArgument("compact revision must be positive");
  return DoCompact(revision);
}

Result<LeaseGrantResponse> Store::LeaseGrant(int64_t ttl_seconds, int64_t id) {
  if (ttl_seconds <= 0 || ttl_seconds > kMaxLeaseTtlSeconds) {
    return Status::InvalidArgument("lease TTL must be between 1 and " +
                                   std::to_string(kMaxLeaseTtlSeconds) + " seconds");
  }
  if (id < 0) return Status::InvalidArgument("lease id is negative");
  return DoLeaseGrant(ttl_seconds, id);
}

Result<int64_t> Store::LeaseKeepAlive(int64_t id) {
  if (id <= 0) return Status::InvalidArgument("lease id must be positive");
  return DoLeaseKeepAlive(id);
}

Status Store::LeaseRevoke(int64_t id) {
  if (id <= 0) return Status::InvalidArgument("lease id must be positive");
  return DoLeaseRevoke(id);
}

Result<LeaseInfo> Store::LeaseTimeToLive(int64_t id, bool with_keys) {
  if (id <= 0) return Status::InvalidArgument("lease id must be positive");
  return DoLeaseTimeToLive(id, with_keys);
}

Result<StoreStats> Store::Stats() { return DoStats(); }

namespace {
class SteadyClock : public Clock {
 public:
  int64_t NowMillis() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};
}  // namespace

std::shared_ptr<Clock> SystemClock() {
  static const std::shared_ptr<Clock> clock = std::make_shared<SteadyClock>();
  return clock;
}

}  // namespace gorch::store

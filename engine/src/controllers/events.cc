// Events (/Event/<ns>/<object>.<seq>) and the rollout verbs (undo, pause, history).
#include <algorithm>

#include "controllers/internal.h"

namespace gorch::engine {

using ctrl::At;
using ctrl::Json;
using ctrl::StringAt;

namespace {

constexpr int64_t kEventTtlSeconds = 3600;
constexpr int kCasAttempts = 8;

Result<std::vector<std::pair<store::KeyValue, Json>>> ListJson(store::Store& store, const std::string& prefix) {
  Result<store::RangeResponse> r = store.Range(store::RangeRequest::Prefix(prefix));
  if (!r.ok()) return r.status();
  std::vector<std::pair<store::KeyValue, Json>> out;
  for (store::KeyValue& kv : r->kvs) {
    Json j = Json::parse(kv.value, nullptr, false);
    out.emplace_back(std::move(kv), std::move(j));
  }
  return out;
}

}  // namespace

Status RecordEvent(store::Store& store, const ObjectRef& involved, EventType type, std::string_view reason,
                   std::string_view message, store::Clock& clock) {
  const std::string type_name = type == EventType::kWarning ? "Warning" : "Normal";
  const std::string prefix = "/Event/" + involved.namespace_ + "/" + involved.name + ".";
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto events = ListJson(store, prefix);
    if (!events.ok()) return events.status();
    const std::string now = ctrl::Rfc3339(clock.NowMillis());
    int64_t next_seq = 1;
    const std::pair<store::KeyValue, Json>* same = nullptr;
    for (const auto& e : *events) {
      const std::string seq = e.first.key.substr(prefix.size());
      if (seq.find('.') != std::string::npos) continue;  // another object's ("web.v2.1")
      next_seq = std::max<int64_t>(next_seq, std::atoll(seq.c_str()) + 1);
      const Json& ev = At(e.second, "object");
      const Json& inv = At(ev, "involvedObject");
      if (StringAt(inv, "kind") == involved.kind && StringAt(ev, "reason") == reason &&
          StringAt(ev, "message") == message && StringAt(ev, "type") == type_name) {
        same = &e;
      }
    }
    store::TxnRequest txn;
    if (same) {
      Json value = same->second;
      value["object"]["count"] = ctrl::IntAt(At(value, "object"), "count", 1) + 1;
      value["object"]["lastTimestamp"] = now;
      txn.compare.push_back(store::Compare::ModRevision(same->first.key, store::Compare::Op::kEqual,
                                                        same->first.mod_revision));
      txn.success.push_back(store::Op::Put(same->first.key, value.dump(), same->first.lease));
    } else {
      Result<store::LeaseGrantResponse> lease = store.LeaseGrant(kEventTtlSeconds);
      if (!lease.ok()) return lease.status();
      const std::string key = prefix + std::to_string(next_seq);
      Json ev = {{"apiVersion", "v1"},
                 {"kind", "Event"},
                 {"metadata", {{"name", involved.name + "." + std::to_string(next_seq)},
                               {"namespace", involved.namespace_}}},
                 {"involvedObject",
                  {{"kind", involved.kind}, {"namespace", involved.namespace_}, {"name", involved.name}}},
                 {"type", type_name},
                 {"reason", reason},
                 {"message", message},
                 {"firstTimestamp", now},
                 {"lastTimestamp", now},
                 {"count", 1},
                 {"source", {{"component", "gorch-controllers"}}}};
      txn.compare.push_back(store::Compare::Version(key, store::Compare::Op::kEqual, 0));
      txn.success.push_back(store::Op::Put(key, Json{{"object", ev}}.dump(), lease->id));
    }
    Result<store::TxnResponse> resp = store.Txn(txn);
    if (!resp.ok()) return resp.status();
    if (resp->succeeded) return Status::Ok();
  }
  return Status::Aborted("event: too many write conflicts");
}

std::string RolloutOverrideKey(std::string_view ns, std::string_view name) {
  return "/gorch/rollout/Deployment/" + std::string(ns) + "/" + std::string(name);
}

Result<std::vector<RolloutRevision>> RolloutHistory(store::Store& store, std::string_view ns, std::string_view name) {
  Result<std::optional<store::KeyValue>> d = store.Get(ctrl::ObjectKey("Deployment", ns, name));
  if (!d.ok()) return d.status();
  if (!d->has_value()) return Status::NotFound("deployment " + std::string(ns) + "/" + std::string(name));
  Result<std::optional<store::KeyValue>> st = store.Get(ctrl::StatusKey("Deployment", ns, name));
  if (!st.ok()) return st.status();
  std::string current;
  if (st->has_value()) current = StringAt(Json::parse((*st)->value, nullptr, false), "currentTemplateHash");
  auto rses = ListJson(store, ctrl::ObjectKey("ReplicaSet", ns, std::string(name) + "-"));
  if (!rses.ok()) return rses.status();
  std::vector<RolloutRevision> out;
  for (const auto& [kv, value] : *rses) {
    const Json& o = At(value, "object");
    if (!ctrl::IsOwnedBy(o, "Deployment", name)) continue;
    const Json& meta = At(o, "metadata");
    RolloutRevision r;
    r.revision = std::atoll(StringAt(At(meta, "annotations"), kRevisionAnnotation).c_str());
    r.replica_set = StringAt(meta, "name");
    r.template_hash = StringAt(At(meta, "labels"), kPodTemplateHashLabel);
    r.replicas = static_cast<int32_t>(ctrl::IntAt(At(o, "spec"), "replicas", 0));
    r.current = r.template_hash == current;
    r.change_cause = StringAt(At(meta, "annotations"), "kubernetes.io/change-cause");
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.revision < b.revision; });
  return out;
}

namespace {

// Read-modify-write of the rollout override, guarded by its mod_revision.
Status UpdateOverride(store::Store& store, std::string_view ns, std::string_view name,
                      const std::function<void(Json*)>& change) {
  const std::string key = RolloutOverrideKey(ns, name);
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    Result<std::optional<store::KeyValue>> cur = store.Get(key);
    if (!cur.ok()) return cur.status();
    Json value = cur->has_value() ? Json::parse((*cur)->value, nullptr, false) : Json::object();
    if (!value.is_object()) value = Json::object();
    change(&value);
    store::TxnRequest txn;
    txn.compare.push_back(store::Compare::ModRevision(key, store::Compare::Op::kEqual,
                                                      cur->has_value() ? (*cur)->mod_revision : 0));
    txn.success.push_back(store::Op::Put(key, value.dump()));
    Result<store::TxnResponse> resp = store.Txn(txn);
    if (!resp.ok()) return resp.status();
    if (resp->succeeded) return Status::Ok();
  }
  return Status::Aborted("rollout: too many write conflicts");
}

}  // namespace

Result<int64_t> RolloutUndo(store::Store& store, std::string_view ns, std::string_view name,
                            std::optional<int64_t> revision) {
  Result<std::vector<RolloutRevision>> history = RolloutHistory(store, ns, name);
  if (!history.ok()) return history.status();
  const RolloutRevision* target = nullptr;
  if (revision) {
    for (const RolloutRevision& r : *history) {
      if (r.revision == *revision) target = &r;
    }
    if (!target) return Status::NotFound("revision " + std::to_string(*revision) + " not found");
  } else {
    for (const RolloutRevision& r : *history) {
      if (!r.current) target = &r;  // the newest non-current one (history is oldest first)
    }
    if (!target) return Status::FailedPrecondition("no previous revision to roll back to");
  }
  Result<std::optional<store::KeyValue>> d = store.Get(ctrl::ObjectKey("Deployment", ns, name));
  if (!d.ok()) return d.status();
  if (!d->has_value()) return Status::NotFound("deployment");
  const std::string applied = StringAt(Json::parse((*d)->value, nullptr, false), "appliedHash");
  const RolloutRevision t = *target;
  GORCH_RETURN_IF_ERROR(UpdateOverride(store, ns, name, [&](Json* v) {
    (*v)["appliedHash"] = applied;
    (*v)["rollbackTo"] = {{"revision", t.revision}, {"templateHash", t.template_hash}, {"reason", "undo"}};
  }));
  return t.revision;
}

Status RolloutSetPaused(store::Store& store, std::string_view ns, std::string_view name, bool paused) {
  Result<std::optional<store::KeyValue>> d = store.Get(ctrl::ObjectKey("Deployment", ns, name));
  if (!d.ok()) return d.status();
  if (!d->has_value()) return Status::NotFound("deployment " + std::string(ns) + "/" + std::string(name));
  return UpdateOverride(store, ns, name, [&](Json* v) { (*v)["paused"] = paused; });
}

}  // namespace gorch::engine

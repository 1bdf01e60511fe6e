// The cache, CAS writes and JSON helpers shared by the controllers.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "controllers/internal.h"

namespace gorch::engine::ctrl {

const Json& At(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const Json& Obj::object() const { return At(value, "object"); }

int64_t IntAt(const Json& j, std::string_view key, int64_t fallback) {
  const Json& v = At(j, key);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return static_cast<int64_t>(v.get<double>());
  return fallback;
}

std::string StringAt(const Json& j, std::string_view key) {
  const Json& v = At(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

// ---- Cache ----

const Obj* Cache::Get(const std::string& key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : &it->second;
}

std::vector<CacheEntry> Cache::List(std::string_view prefix) const {
  std::vector<CacheEntry> out;
  ForEach(prefix, [&](const std::string& key, const Obj& obj) { out.emplace_back(key, &obj); });
  return out;
}

namespace {

// A pod's new value keeps the old one's shape revision when its spec and labels
// are unchanged (the agents' status reports).
int64_t ShapeRevision(const std::string& key, const Obj* old, const Json& value, int64_t revision) {
  if (!old || key.rfind("/Pod/", 0) != 0) return revision;
  const Json& a = old->object();
  const Json& b = At(value, "object");
  if (At(a, "spec") != At(b, "spec")) return revision;
  if (At(At(a, "metadata"), "labels") != At(At(b, "metadata"), "labels")) return revision;
  return old->shape_revision;
}

}  // namespace

std::optional<Obj> Cache::Put(const std::string& key, int64_t revision, Json value) {
  auto tomb = tombstones_.find(key);
  if (tomb != tombstones_.end()) {
    if (tomb->second >= revision) return std::nullopt;
    tombstones_.erase(tomb);
  }
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    if (it->second.mod_revision >= revision) return std::nullopt;
    const int64_t shape = ShapeRevision(key, &it->second, value, revision);
    Obj old = std::move(it->second);
    it->second = Obj{revision, std::move(value), shape};
    return old;
  }
  objects_.emplace(key, Obj{revision, std::move(value), revision});
  return std::nullopt;
}

std::optional<Obj> Cache::Delete(const std::string& key, int64_t revision) {
  int64_t& tomb = tombstones_[key];
  tomb = std::max(tomb, revision);
  auto it = objects_.find(key);
  if (it == objects_.end() || it->second.mod_revision >= revision) return std::nullopt;
  Obj old = std::move(it->second);
  objects_.erase(it);
  return old;
}

void Cache::Trim(int64_t revision) {
  for (auto it = tombstones_.begin(); it != tombstones_.end();) {
    it = it->second <= revision ? tombstones_.erase(it) : std::next(it);
  }
}

// ---- writes ----

namespace {

store::TxnRequest TxnOf(const std::vector<Mutation>& mutations) {
  store::TxnRequest txn;
  for (const Mutation& m : mutations) {
    if (m.expect >= 0) txn.compare.push_back(store::Compare::ModRevision(m.key, store::Compare::Op::kEqual, m.expect));
    if (m.value) {
      txn.success.push_back(store::Op::Put(m.key, m.value->dump()));
    } else {
      txn.success.push_back(store::Op::Delete(store::DeleteRequest::Key(m.key)));
    }
  }
  return txn;
}

}  // namespace

Result<bool> Context::Commit(std::vector<Mutation> mutations) {
  if (mutations.empty()) return true;
  Result<store::TxnResponse> resp = store_.Txn(TxnOf(mutations));
  return Applied(std::move(mutations), std::move(resp));
}

Status Context::CommitAll(std::vector<std::vector<Mutation>> txns) {
  struct Pending {
    std::mutex mu;
    std::condition_variable done;
    size_t left = 0;
    std::vector<std::optional<Result<store::TxnResponse>>> results;
  };
  std::erase_if(txns, [](const std::vector<Mutation>& t) { return t.empty(); });
  if (txns.empty()) return Status::Ok();
  auto pending = std::make_shared<Pending>();
  pending->results.resize(txns.size());
  pending->left = txns.size();
  for (size_t i = 0; i < txns.size(); ++i) {
    store_.TxnAsync(TxnOf(txns[i]), [pending, i](Result<store::TxnResponse> r) {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->results[i].emplace(std::move(r));
      if (--pending->left == 0) pending->done.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(pending->mu);
    pending->done.wait(lock, [&] { return pending->left == 0; });
  }
  Status out;
  for (size_t i = 0; i < txns.size(); ++i) {
    Result<bool> ok = Applied(std::move(txns[i]), std::move(*pending->results[i]));
    if (!out.ok()) continue;
    if (!ok.ok()) out = ok.status();
    else if (!*ok) out = Status::Aborted("write conflict");
  }
  return out;
}

// Applies a transaction's outcome to the cache (see Commit).
Result<bool> Context::Applied(std::vector<Mutation> mutations, Result<store::TxnResponse> resp) {
  if (!resp.ok()) return resp.status();
  if (!resp->succeeded) {
    // Someone else wrote first: re-read the keys so the retry sees their change.
    for (const Mutation& m : mutations) {
      Result<std::optional<store::KeyValue>> kv = store_.Get(m.key);
      if (!kv.ok()) return kv.status();
      if (kv->has_value()) {
        Json value = Json::parse((*kv)->value, nullptr, false);
        cache_.Put(m.key, (*kv)->mod_revision, std::move(value));
      } else {
        cache_.Delete(m.key, resp->revision);
      }
    }
    return false;
  }
  for (Mutation& m : mutations) {
    if (m.value) {
      std::optional<Obj> old = cache_.Put(m.key, resp->revision, std::move(*m.value));
      if (const Obj* now = cache_.Get(m.key)) Dispatch(m.key, &now->value, old ? &old->value : nullptr);
    } else {
      std::optional<Obj> old = cache_.Delete(m.key, resp->revision);
      Dispatch(m.key, nullptr, old ? &old->value : nullptr);
    }
  }
  return true;
}

Status Context::CommitOrAbort(std::vector<Mutation> mutations) {
  Result<bool> ok = Commit(std::move(mutations));
  if (!ok.ok()) return ok.status();
  if (!*ok) return Status::Aborted("write conflict");
  return Status::Ok();
}

Status Context::Event(const ObjectRef& involved, EventType type, std::string_view reason, std::string_view message) {
  return RecordEvent(store_, involved, type, reason, message, clock_);
}

// ---- keys ----

bool SplitKey(std::string_view key, std::string* kind, std::string* ns, std::string* name) {
  if (key.empty() || key[0] != '/') return false;
  size_t a = key.find('/', 1);
  if (a == std::string_view::npos) return false;
  size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos) return false;
  if (key.find('/', b + 1) != std::string_view::npos) return false;
  *kind = std::string(key.substr(1, a - 1));
  *ns = std::string(key.substr(a + 1, b - a - 1));
  *name = std::string(key.substr(b + 1));
  return !kind->empty() && !name->empty();
}

std::string ObjectKey(std::string_view kind, std::string_view ns, std::string_view name) {
  return "/" + std::string(kind) + "/" + std::string(ns) + "/" + std::string(name);
}

std::string StatusKey(std::string_view kind, std::string_view ns, std::string_view name) {
  return std::string(kStatusPrefix) + std::string(kind) + "/" + std::string(ns) + "/" + std::string(name);
}

std::string NsName(std::string_view ns, std::string_view name) { return std::string(ns) + "/" + std::string(name); }

void SplitNsName(const std::string& key, std::string* ns, std::string* name) {
  size_t slash = key.find('/');
  *ns = key.substr(0, slash);
  *name = slash == std::string::npos ? std::string() : key.substr(slash + 1);
}

Owner OwnerOf(const Json& object) {
  const Json& refs = At(At(object, "metadata"), "ownerReferences");
  if (!refs.is_array() || refs.empty()) return {};
  return {StringAt(refs[0], "kind"), StringAt(refs[0], "name")};
}

bool IsOwnedBy(const Json& object, std::string_view kind, std::string_view name) {
  const Json& refs = At(At(object, "metadata"), "ownerReferences");
  if (!refs.is_array()) return false;
  for (const Json& r : refs) {
    if (StringAt(r, "kind") == kind && StringAt(r, "name") == name) return true;
  }
  return false;
}

std::string DeploymentOfReplicaSet(std::string_view rs_name) {
  if (rs_name.size() < 12 || rs_name[rs_name.size() - 11] != '-') return {};
  return std::string(rs_name.substr(0, rs_name.size() - 11));
}

// ---- values and times ----

lang::Value ToValue(const Json& j) {
  switch (j.type()) {
    case Json::value_t::boolean: return lang::Value::Bool(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return lang::Value::Int(j.get<int64_t>());
    case Json::value_t::number_float: return lang::Value::Float(j.get<double>());
    case Json::value_t::string: return lang::Value::String(j.get<std::string>());
    case Json::value_t::array: {
      lang::Value::List list;
      for (const Json& e : j) list.push_back(ToValue(e));
      return lang::Value::MakeList(std::move(list));
    }
    case Json::value_t::object: {
      lang::Value::Map map;
      for (auto it = j.begin(); it != j.end(); ++it) map.emplace_back(it.key(), ToValue(it.value()));
      return lang::Value::MakeMap(std::move(map));
    }
    default: return lang::Value::Null();
  }
}

std::string Rfc3339(int64_t unix_millis) {
  std::time_t secs = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_millis % 1000));
  return out;
}

std::optional<int64_t> ParseTime(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t millis = static_cast<int64_t>(timegm(&tm)) * 1000;
  size_t i = static_cast<size_t>(consumed);
  if (i < s.size() && s[i] == '.') {
    int64_t scale = 100;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10) millis += (s[i] - '0') * scale;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int hh = 0, mm = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &hh, &mm) == 2) {
      int64_t off = (hh * 60 + mm) * 60'000;
      millis += s[i] == '+' ? -off : off;
    }
  }
  return millis;
}

const PodView& ViewPod(const std::string& key, const Obj& obj) { return obj.pod_memo(key).view; }

const PodMemo& Obj::pod_memo(const std::string& key) const {
  if (memo_) return *memo_;
  auto memo = std::make_shared<PodMemo>();
  PodView& p = memo->view;
  p.key = key;
  const Json& o = object();
  p.name = StringAt(At(o, "metadata"), "name");
  p.node = StringAt(At(o, "spec"), "nodeName");
  const Json& status = At(o, "status");
  p.phase = StringAt(status, "phase");
  const Json& conds = At(status, "conditions");
  if (conds.is_array()) {
    for (const Json& c : conds) {
      if (StringAt(c, "type") != "Ready") continue;
      p.ready = StringAt(c, "status") == "True" && p.phase == "Running";
      p.ready_since = ParseTime(At(c, "lastTransitionTime")).value_or(0);
    }
  }
  const Json& refs = At(At(o, "metadata"), "ownerReferences");
  if (refs.is_array())
    for (const Json& r : refs) memo->owners.push_back({StringAt(r, "kind"), StringAt(r, "name")});
  memo_ = std::move(memo);
  return *memo_;
}

bool Available(const PodView& pod, int32_t min_ready_seconds, int64_t now, std::optional<int64_t>* wait_ms) {
  if (!pod.ready) return false;
  const int64_t at = pod.ready_since + int64_t{min_ready_seconds} * 1000;
  if (min_ready_seconds <= 0 || now >= at) return true;
  if (wait_ms && (!*wait_ms || **wait_ms > at - now)) *wait_ms = at - now;
  return false;
}

std::vector<CacheEntry> OwnedPods(Cache& cache, std::string_view ns, std::string_view owner_kind,
                                  std::string_view owner) {
  std::vector<CacheEntry> out;
  cache.ForEach(ObjectKey("Pod", ns, std::string(owner) + "-"), [&](const std::string& key, const Obj& obj) {
    for (const Owner& o : obj.pod_memo(key).owners) {
      if (o.kind == owner_kind && o.name == owner) {
        out.emplace_back(key, &obj);
        break;
      }
    }
  });
  return out;
}

Json NewPod(std::string_view ns, std::string_view name, const Json& pod_template, std::string_view owner_kind,
            std::string_view owner_api_version, std::string_view owner_name, const Json& extra_labels) {
  const Json& tmeta = At(pod_template, "metadata");
  Json meta = Json::object();
  meta["name"] = name;
  meta["namespace"] = ns;
  Json labels = At(tmeta, "labels").is_object() ? At(tmeta, "labels") : Json::object();
  if (extra_labels.is_object()) labels.update(extra_labels);
  meta["labels"] = labels;
  if (At(tmeta, "annotations").is_object()) meta["annotations"] = At(tmeta, "annotations");
  meta["ownerReferences"] = Json::array(
      {{{"apiVersion", owner_api_version}, {"kind", owner_kind}, {"name", owner_name}, {"controller", true}}});
  Json object = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}};
  object["spec"] = At(pod_template, "spec").is_object() ? At(pod_template, "spec") : Json::object();
  object["status"] = {{"phase", "Pending"}};
  return {{"apiVersion", "v1"}, {"managed", false}, {"object", object}};
}

Status WriteStatus(Context& ctx, std::string_view kind, std::string_view ns, std::string_view name,
                   const Json& status) {
  const std::string key = StatusKey(kind, ns, name);
  const Obj* cur = ctx.cache().Get(key);
  if (cur && cur->value == status) return Status::Ok();
  return ctx.CommitOrAbort({{key, status, cur ? cur->mod_revision : 0}});
}

void SetCondition(Json* conditions, std::string_view type, std::string_view status, std::string_view reason,
                  std::string_view message, int64_t now) {
  if (!conditions->is_array()) *conditions = Json::array();
  for (Json& c : *conditions) {
    if (StringAt(c, "type") != type) continue;
    if (StringAt(c, "status") != status) c["lastTransitionTime"] = Rfc3339(now);
    c["status"] = status;
    c["reason"] = reason;
    c["message"] = message;
    return;
  }
  conditions->push_back({{"type", type},
                         {"status", status},
                         {"reason", reason},
                         {"message", message},
                         {"lastTransitionTime", Rfc3339(now)}});
}

std::string_view ControllerName(Controller c) {
  switch (c) {
    case Controller::kDeployment: return "deployment";
    case Controller::kReplicaSet: return "replicaset";
    case Controller::kStatefulSet: return "statefulset";
    case Controller::kDaemonSet: return "daemonset";
    case Controller::kJob: return "job";
    case Controller::kCronJob: return "cronjob";
    case Controller::kScheduler: return "scheduler";
    case Controller::kNode: return "node-lifecycle";
    case Controller::kGc: return "garbage-collector";
  }
  return "?";
}

}  // namespace gorch::engine::ctrl

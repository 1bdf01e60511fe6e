// The node-agent calls of the Gorch service: registration, heartbeats, the
// per-node pod stream and pod status updates (docs/state-model.md: the agent
// registers /Node//<name>, keeps /gorch/heartbeat/<name> alive, writes pod status).
#include <chrono>
#include <ctime>
#include <optional>
#include <nlohmann/json.hpp>

#include "gorch/engine/controllers.h"
#include "gorch/planner/scheduler_input.h"
#include "gorch/planner/value_json.h"
#include "rfc3339.h"
#include "server/node_pods.h"
#include "server/objects.h"
#include "server/service.h"

namespace gorch::engine::server {

using grpc::ServerContext;
using Json = nlohmann::ordered_json;

namespace {

constexpr int kCasAttempts = 16;


std::string HeartbeatKey(const std::string& node) { return "/gorch/heartbeat/" + node; }

// The Node object a registration describes; `previous` (the stored {"object"}
// value, or null) keeps what others own: spec.unschedulable, creationTimestamp.
Result<Json> NodeObject(const v1::RegisterNodeRequest& req, const Json& previous) {
  Json labels = Json::object();
  for (const auto& [k, v] : req.labels()) {
    if (Status s = ValidateSegment("label key", k, false); !s.ok()) return s;
    labels[k] = v;
  }
  labels["kubernetes.io/hostname"] = req.name();
  Json taints = Json::array();
  for (const auto& t : req.taints()) {
    if (t.key().empty()) return Status::InvalidArgument("a taint has no key");
    if (t.effect() != "NoSchedule" && t.effect() != "PreferNoSchedule" && t.effect() != "NoExecute")
      return Status::InvalidArgument("taint " + t.key() + ": effect \"" + t.effect() +
                                     "\" is not NoSchedule, PreferNoSchedule or NoExecute");
    Json taint = {{"key", t.key()}};
    if (!t.value().empty()) taint["value"] = t.value();
    taint["effect"] = t.effect();
    taints.push_back(std::move(taint));
  }
  std::string cpu = req.cpu().empty() ? "4" : req.cpu();
  std::string memory = req.memory().empty() ? "16Gi" : req.memory();
  if (auto c = planner::ParseCpuMillis(cpu); !c.ok()) return Status::InvalidArgument("cpu: " + c.status().message());
  if (auto m = planner::ParseMemoryBytes(memory); !m.ok())
    return Status::InvalidArgument("memory: " + m.status().message());
  if (req.pods() < 0 || req.pods() > 100000) return Status::InvalidArgument("pods must be within 0..100000");
  int64_t pods = req.pods() == 0 ? 110 : req.pods();
  std::string now = NowRfc3339();
  std::string created = now;
  bool unschedulable = false;
  const Json* prev = previous.is_object() && previous.contains("object") ? &previous["object"] : nullptr;
  if (prev && prev->is_object()) {
    if (prev->contains("metadata") && (*prev)["metadata"].contains("creationTimestamp") &&
        (*prev)["metadata"]["creationTimestamp"].is_string())
      created = (*prev)["metadata"]["creationTimestamp"].get<std::string>();
    if (prev->contains("spec") && (*prev)["spec"].is_object() && (*prev)["spec"].contains("unschedulable") &&
        (*prev)["spec"]["unschedulable"].is_boolean())
      unschedulable = (*prev)["spec"]["unschedulable"].get<bool>();
  }
  Json resources = {{"cpu", cpu}, {"memory", memory}, {"pods", std::to_string(pods)}};
  Json node = {
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", {{"name", req.name()}, {"labels", labels}, {"creationTimestamp", created}}},
      {"spec", {{"taints", taints}, {"unschedulable", unschedulable}}},
      {"status",
       {{"capacity", resources},
        {"allocatable", resources},
        {"conditions", Json::array({{{"type", "Ready"},
                                     {"status", "True"},
                                     {"reason", "AgentRegistered"},
                                     {"message", "the node agent registered"},
                                     {"lastHeartbeatTime", now},
                                     {"lastTransitionTime", now}}})},
        {"nodeInfo", {{"runtime", req.runtime()}, {"agentVersion", req.agent_version()}}}}}};
  if (!req.agent_address().empty())
    node["status"]["addresses"] = Json::array({{{"type", "AgentEndpoint"}, {"address", req.agent_address()}}});
  // The scheduler must be able to read it, or every later plan would fail.
  auto value = planner::ParseJsonValue(node.dump(), "node " + req.name());
  if (!value.ok()) return value.status();
  if (auto info = planner::NodeInfoFromObject(*value); !info.ok()) return info.status();
  return Json{{"object", std::move(node)}};
}

}  // namespace

grpc::Status GorchService::RegisterNode(ServerContext*, const v1::RegisterNodeRequest* req,
                                        v1::RegisterNodeResponse* resp) {
  if (Status s = ValidateSegment("node name", req->name(), false); !s.ok()) return ToGrpc(s);
  auto lease = store_.LeaseGrant(options_.heartbeat_ttl_seconds);
  if (!lease.ok()) return ToGrpc(lease.status());
  const std::string key = StoreKey("Node", "", req->name());
  int64_t old_lease = 0;
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto prev = store_.Get(key);
    if (!prev.ok()) return ToGrpc(prev.status());
    auto hb = store_.Get(HeartbeatKey(req->name()));
    if (!hb.ok()) return ToGrpc(hb.status());
    old_lease = *hb ? (*hb)->lease : 0;
    Json previous = *prev ? Json::parse((*prev)->value, nullptr, false) : Json();
    auto node = NodeObject(*req, previous);
    if (!node.ok()) {
      (void)store_.LeaseRevoke(lease->id);
      return ToGrpc(node.status());
    }
    store::TxnRequest txn;
    txn.compare.push_back(store::Compare::ModRevision(key, store::Compare::Op::kEqual, *prev ? (*prev)->mod_revision : 0));
    txn.success.push_back(store::Op::Put(key, node->dump()));
    txn.success.push_back(store::Op::Put(HeartbeatKey(req->name()), "{}", lease->id));
    auto r = store_.Txn(txn);
    if (!r.ok()) return ToGrpc(r.status());
    if (!r->succeeded) continue;  // someone else wrote the node meanwhile: read again
    if (old_lease != 0 && old_lease != lease->id) (void)store_.LeaseRevoke(old_lease);
    resp->set_lease_id(lease->id);
    resp->set_ttl_seconds(lease->ttl);
    resp->set_revision(r->revision);
    const bool again = *prev != std::nullopt;
    (void)RecordEvent(store_, ObjectRef{"Node", "", req->name()}, EventType::kNormal,
                      again ? "Reregistered" : "Registered",
                      "node agent (" + req->runtime() + " runtime) " + (again ? "registered again" : "registered"),
                      *wall_clock_);
    Log("node " + req->name() + " registered (cpu " + (req->cpu().empty() ? "4" : req->cpu()) + ", memory " +
        (req->memory().empty() ? "16Gi" : req->memory()) + ", runtime " + req->runtime() + ")");
    return grpc::Status::OK;
  }
  (void)store_.LeaseRevoke(lease->id);
  return ToGrpc(Status::Aborted("node " + req->name() + " kept changing; register again"));
}

grpc::Status GorchService::Heartbeat(ServerContext*, const v1::HeartbeatRequest* req, v1::HeartbeatResponse* resp) {
  if (Status s = ValidateSegment("node name", req->node(), false); !s.ok()) return ToGrpc(s);
  if (req->lease_id() == 0) return ToGrpc(Status::InvalidArgument("lease_id is required (from RegisterNode)"));
  auto ttl = store_.LeaseKeepAlive(req->lease_id());
  if (!ttl.ok()) {
    if (ttl.status().IsNotFound())
      return ToGrpc(Status::NotFound("the heartbeat lease of node " + req->node() + " expired; register again"));
    return ToGrpc(ttl.status());
  }
  resp->set_ttl_seconds(*ttl);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::NodePodEvent>* GorchService::WatchNodePods(grpc::CallbackServerContext*,
                                                                       const v1::WatchNodePodsRequest* req) {
  if (Status s = ValidateSegment("node name", req->node(), false); !s.ok()) {
    auto* reactor = new RefusedStream<v1::NodePodEvent>();
    reactor->Finish(ToGrpc(s));
    return reactor;
  }
  return NewNodePodsReactor(node_pods_, req->node(), req->bindings_only());
}

namespace {

constexpr int kMaxStatusBatch = 128;  // store::kMaxTxnOps: one transaction per batch

// One pod's status update as read: the pod's envelope with the new status in it.
struct PodStatusWrite {
  std::string key;
  int64_t mod_revision = 0;  // of the pod read
  std::string value;         // empty: the status is unchanged, nothing to write
};

// Reads the pod and puts `status_json` in it. NotFound, FailedPrecondition (bound
// elsewhere), Aborted (changed since `expected`), InvalidArgument, Corruption.
Result<PodStatusWrite> ReadPodStatusWrite(store::Store& store, const std::string& ns, const std::string& name,
                                          const std::string& node, const std::string& status_json, int64_t expected) {
  for (Status s : {ValidateSegment("namespace", ns, true), ValidateSegment("pod name", name, false)})
    if (!s.ok()) return s;
  Json status = Json::parse(status_json, nullptr, false);
  if (!status.is_object()) return Status::InvalidArgument("status_json must be a JSON object");
  PodStatusWrite w;
  w.key = StoreKey("Pod", ns, name);
  auto kv = store.Get(w.key);
  if (!kv.ok()) return kv.status();
  if (!*kv) return Status::NotFound("pod " + ns + "/" + name + " not found");
  w.mod_revision = (*kv)->mod_revision;
  if (expected != 0 && w.mod_revision != expected)
    return Status::Aborted("pod " + name + " changed since revision " + std::to_string(expected));
  Json doc = Json::parse((*kv)->value, nullptr, false);
  if (!doc.is_object() || !doc.contains("object") || !doc["object"].is_object())
    return Status::Corruption("the stored pod " + name + " is not an object envelope");
  Json& object = doc["object"];
  if (!node.empty()) {
    const Json* bound = object.contains("spec") && object["spec"].is_object() && object["spec"].contains("nodeName")
                            ? &object["spec"]["nodeName"]
                            : nullptr;
    if (!bound || !bound->is_string() || bound->get_ref<const std::string&>() != node)
      return Status::FailedPrecondition("pod " + name + " is not bound to node " + node);
  }
  if (object.contains("status") && object["status"] == status) return w;  // nothing changed: no write
  object["status"] = std::move(status);
  w.value = doc.dump();
  return w;
}

// Updates one pod's status, retrying conflicts (unless `expected` is set). Returns
// the pod's mod revision after it.
Result<int64_t> UpdateOnePodStatus(store::Store& store, const std::string& ns, const std::string& name,
                                   const std::string& node, const std::string& status_json, int64_t expected) {
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    Result<PodStatusWrite> w = ReadPodStatusWrite(store, ns, name, node, status_json, expected);
    if (!w.ok()) return w.status();
    if (w->value.empty()) return w->mod_revision;
    store::TxnRequest txn;
    txn.compare.push_back(store::Compare::ModRevision(w->key, store::Compare::Op::kEqual, w->mod_revision));
    txn.success.push_back(store::Op::Put(w->key, std::move(w->value)));
    auto r = store.Txn(txn);
    if (!r.ok()) return r.status();
    if (r->succeeded) return r->revision;
    if (expected != 0) break;
  }
  return Status::Aborted("pod " + name + " kept changing; report its status again");
}

void SetResult(v1::PodStatusResult* out, const Status& s, int64_t revision) {
  out->set_code(static_cast<int32_t>(ToGrpc(s).error_code()));
  if (s.ok()) {
    out->set_revision(revision);
  } else {
    out->set_message(s.message());
  }
}

// A batch: every pod read, the changed ones written in one transaction; when that
// transaction meets a conflict, each of them is updated on its own.
void UpdatePodStatusBatch(store::Store& store, const v1::UpdatePodStatusRequest& req,
                          v1::UpdatePodStatusResponse* resp) {
  std::vector<std::optional<PodStatusWrite>> writes(req.batch_size());
  store::TxnRequest txn;
  for (int i = 0; i < req.batch_size(); ++i) {
    const v1::PodStatusReport& p = req.batch(i);
    v1::PodStatusResult* out = resp->add_batch();
    Result<PodStatusWrite> w = ReadPodStatusWrite(store, p.namespace_(), p.name(), req.node(), p.status_json(), 0);
    if (!w.ok() || w->value.empty()) {
      SetResult(out, w.status(), w.ok() ? w->mod_revision : 0);
      continue;
    }
    txn.compare.push_back(store::Compare::ModRevision(w->key, store::Compare::Op::kEqual, w->mod_revision));
    txn.success.push_back(store::Op::Put(w->key, w->value));
    writes[i] = std::move(*w);
  }
  if (txn.success.empty()) return;
  auto r = store.Txn(txn);
  for (int i = 0; i < req.batch_size(); ++i) {
    if (!writes[i]) continue;
    v1::PodStatusResult* out = resp->mutable_batch(i);
    if (r.ok() && r->succeeded) {
      SetResult(out, Status::Ok(), r->revision);
      continue;
    }
    const v1::PodStatusReport& p = req.batch(i);
    Result<int64_t> one = UpdateOnePodStatus(store, p.namespace_(), p.name(), req.node(), p.status_json(), 0);
    SetResult(out, one.status(), one.ok() ? *one : 0);
  }
}

}  // namespace

grpc::Status GorchService::UpdatePodStatus(ServerContext*, const v1::UpdatePodStatusRequest* req,
                                           v1::UpdatePodStatusResponse* resp) {
  if (req->batch_size() > 0) {
    if (req->batch_size() > kMaxStatusBatch)
      return ToGrpc(Status::InvalidArgument("a status batch holds at most " + std::to_string(kMaxStatusBatch) +
                                            " pods, not " + std::to_string(req->batch_size())));
    if (!req->node().empty())
      if (Status s = ValidateSegment("node name", req->node(), false); !s.ok()) return ToGrpc(s);
    UpdatePodStatusBatch(store_, *req, resp);
    return grpc::Status::OK;
  }
  Result<int64_t> rev = UpdateOnePodStatus(store_, req->namespace_(), req->name(), req->node(), req->status_json(),
                                           req->expected_mod_revision());
  if (!rev.ok()) return ToGrpc(rev.status());
  resp->set_revision(*rev);
  return grpc::Status::OK;
}

}  // namespace gorch::engine::server

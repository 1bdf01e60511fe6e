// The rollout verbs of the Gorch service: thin wrappers of engine::RolloutHistory,
// RolloutUndo and RolloutSetPaused (controllers.h), which write the rollout
// override on the store (a transaction each), so they need no state here.
#include <nlohmann/json.hpp>

#include "server/objects.h"
#include "server/service.h"

namespace gorch::engine::server {

namespace {

// InvalidArgument unless the target names a Deployment by a usable namespace/name.
Status ValidateTarget(const v1::RolloutTarget& t) {
  for (Status s : {ValidateSegment("kind", t.kind(), false), ValidateSegment("namespace", t.namespace_(), true),
                   ValidateSegment("name", t.name(), false)})
    if (!s.ok()) return s;
  if (t.kind() != "Deployment")
    return Status::InvalidArgument("rollout: " + t.kind() + " has no revisions; only Deployment is supported");
  return Status::Ok();
}

std::string Describe(const v1::RolloutTarget& t) { return t.kind() + "/" + t.namespace_() + "/" + t.name(); }

// The engine's error in the user's words: an absent Deployment is named as Get
// names it; other errors say which Deployment they are about.
grpc::Status Explain(const Status& s, const v1::RolloutTarget& t) {
  if (s.IsNotFound() && s.message().find("not found") == std::string::npos)
    return ToGrpc(Status::NotFound(t.kind() + " \"" + t.name() + "\" not found in namespace " + t.namespace_()));
  grpc::Status g = ToGrpc(s);
  return grpc::Status(g.error_code(), Describe(t) + ": " + g.error_message());
}

}  // namespace

Result<std::string> GorchService::RollbackTemplateHash(const v1::RolloutTarget& t) {
  auto r = store_.Range(store::RangeRequest::Key(StoreKey(t.kind(), t.namespace_(), t.name())));
  if (!r.ok()) return r.status();
  auto o = store_.Range(store::RangeRequest::Key(RolloutOverrideKey(t.namespace_(), t.name()), r->revision));
  if (!o.ok()) return o.status();
  if (r->kvs.empty() || o->kvs.empty()) return std::string();
  auto deployment = nlohmann::json::parse(r->kvs[0].value, nullptr, false);
  auto override_value = nlohmann::json::parse(o->kvs[0].value, nullptr, false);
  if (!deployment.is_object() || !override_value.is_object()) return std::string();
  const auto applied = deployment.find("appliedHash");
  const auto in_force = override_value.find("appliedHash");
  const auto to = override_value.find("rollbackTo");
  if (applied == deployment.end() || in_force == override_value.end() || *applied != *in_force ||
      to == override_value.end() || !to->is_object() || !to->contains("templateHash") ||
      !(*to)["templateHash"].is_string())
    return std::string();
  return (*to)["templateHash"].get<std::string>();
}

grpc::Status GorchService::RolloutHistory(grpc::ServerContext*, const v1::RolloutHistoryRequest* req,
                                          v1::RolloutHistoryResponse* resp) {
  if (Status s = ValidateTarget(req->target()); !s.ok()) return ToGrpc(s);
  auto history = engine::RolloutHistory(store_, req->target().namespace_(), req->target().name());
  if (!history.ok()) return Explain(history.status(), req->target());
  auto hash = RollbackTemplateHash(req->target());
  if (!hash.ok()) return ToGrpc(hash.status());
  resp->set_rollback_template_hash(*hash);
  for (const auto& r : *history) {
    v1::RolloutRevision* out = resp->add_revisions();
    out->set_revision(r.revision);
    out->set_replica_set(r.replica_set);
    out->set_template_hash(r.template_hash);
    out->set_replicas(r.replicas);
    out->set_current(r.current);
    out->set_change_cause(r.change_cause);
  }
  return grpc::Status::OK;
}

grpc::Status GorchService::RolloutUndo(grpc::ServerContext*, const v1::RolloutUndoRequest* req,
                                       v1::RolloutUndoResponse* resp) {
  if (Status s = ValidateTarget(req->target()); !s.ok()) return ToGrpc(s);
  if (req->to_revision() < 0) return ToGrpc(Status::InvalidArgument("to_revision may not be negative"));
  std::optional<int64_t> to;
  if (req->to_revision() > 0) to = req->to_revision();
  auto done = engine::RolloutUndo(store_, req->target().namespace_(), req->target().name(), to);
  if (!done.ok()) return Explain(done.status(), req->target());
  resp->set_revision(*done);
  Log("rollout undo " + Describe(req->target()) + ": back to revision " + std::to_string(*done));
  return grpc::Status::OK;
}

grpc::Status GorchService::RolloutPause(grpc::ServerContext*, const v1::RolloutPauseRequest* req,
                                        v1::RolloutPauseResponse*) {
  if (Status s = ValidateTarget(req->target()); !s.ok()) return ToGrpc(s);
  Status s = engine::RolloutSetPaused(store_, req->target().namespace_(), req->target().name(), req->paused());
  if (!s.ok()) return Explain(s, req->target());
  Log(std::string("rollout ") + (req->paused() ? "paused " : "resumed ") + Describe(req->target()));
  return grpc::Status::OK;
}

}  // namespace gorch::engine::server

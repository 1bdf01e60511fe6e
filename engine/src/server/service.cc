// Object reads, watches and applies of the Gorch service.
#include "server/service.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "gorch/engine/apply.h"
#include "gorch/planner/plan.h"
#include "server/objects.h"

namespace gorch::engine::server {

using grpc::ServerContext;

void GorchService::Log(const std::string& line) {
  if (!options_.log) return;
  std::lock_guard<std::mutex> lock(log_mu_);
  options_.log(line);
}

namespace {

void FillObject(const store::KeyValue& kv, const ObjectKey& key, v1::Object* out) {
  out->set_kind(key.kind);
  out->set_namespace_(key.namespace_);
  out->set_name(key.name);
  out->set_json(kv.value);
  out->set_create_revision(kv.create_revision);
  out->set_mod_revision(kv.mod_revision);
}

// The key prefix of a kind in one namespace or all.
std::string KindPrefix(const std::string& kind, const std::string& ns, bool all_namespaces) {
  return all_namespaces ? "/" + kind + "/" : "/" + kind + "/" + ns + "/";
}

}  // namespace

grpc::Status GorchService::ApplyPlan(ServerContext*, const v1::ApplyPlanRequest* req, v1::ApplyPlanResponse* resp) {
  auto plan = planner::Plan::FromJson(req->plan_json(), "plan");
  if (!plan.ok()) return ToGrpc(plan.status());
  if (req->expected_base_revision() != 0 && req->expected_base_revision() != plan->base_revision)
    return ToGrpc(Status::InvalidArgument("the plan's base revision is " + std::to_string(plan->base_revision) +
                                          ", not the expected " + std::to_string(req->expected_base_revision())));
  auto applied = engine::ApplyPlan(store_, *plan);
  if (!applied.ok()) {
    Log("apply refused: " + applied.status().message());
    return ToGrpc(applied.status());
  }
  resp->set_revision(applied->revision);
  resp->set_created(applied->created);
  resp->set_updated(applied->updated);
  resp->set_deleted(applied->deleted);
  Log("applied " + (plan->source.empty() ? std::string("a plan") : plan->source) + " (base revision " +
      std::to_string(plan->base_revision) + "): " + std::to_string(applied->created) + " created, " +
      std::to_string(applied->updated) + " updated, " + std::to_string(applied->deleted) +
      " deleted; revision " + std::to_string(applied->revision));
  return grpc::Status::OK;
}

grpc::Status GorchService::ReadLiveState(ServerContext*, const v1::ReadLiveStateRequest*,
                                         v1::ReadLiveStateResponse* resp) {
  auto live = engine::ReadLiveState(store_, nullptr);
  if (!live.ok()) return ToGrpc(live.status());
  auto nodes = store_.Range(store::RangeRequest::Prefix("/Node//", live->revision));
  if (!nodes.ok()) return ToGrpc(nodes.status());
  resp->set_live_state_json(live->ToJson());
  resp->set_revision(live->revision);
  for (const auto& kv : nodes->kvs) {
    auto doc = nlohmann::json::parse(kv.value, nullptr, false);
    if (doc.is_object() && doc.contains("object")) resp->add_node_json(doc["object"].dump());
  }
  return grpc::Status::OK;
}

grpc::Status GorchService::Get(ServerContext*, const v1::GetRequest* req, v1::GetResponse* resp) {
  for (Status s : {ValidateSegment("kind", req->kind(), false), ValidateSegment("namespace", req->namespace_(), true),
                   ValidateSegment("name", req->name(), false)})
    if (!s.ok()) return ToGrpc(s);
  std::string key = StoreKey(req->kind(), req->namespace_(), req->name());
  auto r = store_.Range(store::RangeRequest::Key(key));
  if (!r.ok()) return ToGrpc(r.status());
  if (r->kvs.empty()) {
    std::string where = req->namespace_().empty() ? "" : " in namespace " + req->namespace_();
    return ToGrpc(Status::NotFound(req->kind() + " \"" + req->name() + "\" not found" + where));
  }
  FillObject(r->kvs[0], {req->kind(), req->namespace_(), req->name()}, resp->mutable_object());
  auto st = store_.Range(store::RangeRequest::Key(StatusKey(req->kind(), req->namespace_(), req->name()), r->revision));
  if (st.ok() && !st->kvs.empty()) resp->mutable_object()->set_status_json(st->kvs[0].value);
  resp->set_revision(r->revision);
  return grpc::Status::OK;
}

grpc::Status GorchService::List(ServerContext*, const v1::ListRequest* req, v1::ListResponse* resp) {
  for (Status s : {ValidateSegment("kind", req->kind(), false), ValidateSegment("namespace", req->namespace_(), true)})
    if (!s.ok()) return ToGrpc(s);
  if (req->limit() < 0) return ToGrpc(Status::InvalidArgument("limit may not be negative"));
  auto selector = ParseSelector(req->label_selector());
  if (!selector.ok()) return ToGrpc(selector.status());
  std::string prefix = KindPrefix(req->kind(), req->namespace_(), req->all_namespaces());
  auto r = store_.Range(store::RangeRequest::Prefix(prefix));
  if (!r.ok()) return ToGrpc(r.status());
  auto statuses = store_.Range(store::RangeRequest::Prefix("/gorch/status" + prefix, r->revision));
  if (!statuses.ok()) return ToGrpc(statuses.status());
  std::unordered_map<std::string, std::string> status_by_key;
  for (auto& kv : statuses->kvs) status_by_key[kv.key.substr(13)] = std::move(kv.value);  // strip "/gorch/status"
  resp->set_revision(r->revision);
  for (const auto& kv : r->kvs) {
    ObjectKey key;
    if (!ParseStoreKey(kv.key, key)) continue;
    if (!selector->empty() && !SelectorMatches(*selector, LabelsOf(kv.value))) continue;
    v1::Object* o = resp->add_objects();
    FillObject(kv, key, o);
    auto it = status_by_key.find(kv.key);
    if (it != status_by_key.end()) o->set_status_json(it->second);
    if (req->limit() > 0 && resp->objects_size() >= req->limit()) break;
  }
  return grpc::Status::OK;
}

grpc::Status GorchService::Watch(ServerContext* ctx, const v1::WatchRequest* req,
                                 grpc::ServerWriter<v1::WatchEvent>* writer) {
  for (Status s : {ValidateSegment("kind", req->kind(), true), ValidateSegment("namespace", req->namespace_(), true)})
    if (!s.ok()) return ToGrpc(s);
  if (req->start_revision() < 0) return ToGrpc(Status::InvalidArgument("start_revision may not be negative"));
  std::string prefix = req->kind().empty() ? "/" : KindPrefix(req->kind(), req->namespace_(), req->all_namespaces());
  auto stream = store_.Watch(store::WatchRequest::Prefix(prefix, req->start_revision()));
  if (!stream.ok()) return ToGrpc(stream.status());
  while (StreamAlive(ctx)) {
    auto events = (*stream)->Next(options_.stream_poll);
    if (!events.ok()) return ToGrpc(events.status());
    for (const auto& e : *events) {
      ObjectKey key;
      if (!ParseStoreKey(e.kv.key, key)) continue;
      v1::WatchEvent out;
      out.set_type(e.type == store::EventType::kPut ? v1::WatchEvent::PUT : v1::WatchEvent::DELETE);
      out.set_revision(e.kv.mod_revision);
      FillObject(e.kv, key, out.mutable_object());
      if (!writer->Write(out)) return grpc::Status::OK;  // the client went away
    }
  }
  return ctx->IsCancelled() ? grpc::Status::CANCELLED : grpc::Status(grpc::StatusCode::UNAVAILABLE, "server stopping");
}

grpc::Status GorchService::ListEvents(ServerContext*, const v1::ListEventsRequest* req,
                                      v1::ListEventsResponse* resp) {
  if (Status s = ValidateSegment("namespace", req->namespace_(), true); !s.ok()) return ToGrpc(s);
  if (req->limit() < 0) return ToGrpc(Status::InvalidArgument("limit may not be negative"));
  auto r = store_.Range(store::RangeRequest::Prefix(KindPrefix("Event", req->namespace_(), req->all_namespaces())));
  if (!r.ok()) return ToGrpc(r.status());
  std::vector<const store::KeyValue*> picked;
  for (const auto& kv : r->kvs) {
    if (!req->involved_kind().empty() || !req->involved_name().empty()) {
      auto doc = nlohmann::json::parse(kv.value, nullptr, false);
      const nlohmann::json* inv = nullptr;
      if (doc.is_object() && doc.contains("object") && doc["object"].is_object() &&
          doc["object"].contains("involvedObject"))
        inv = &doc["object"]["involvedObject"];
      auto field = [&](const char* f) {
        return inv && inv->is_object() && inv->contains(f) && (*inv)[f].is_string() ? (*inv)[f].get<std::string>()
                                                                                   : std::string();
      };
      if (!req->involved_kind().empty() && field("kind") != req->involved_kind()) continue;
      if (!req->involved_name().empty() && field("name") != req->involved_name()) continue;
    }
    picked.push_back(&kv);
  }
  std::stable_sort(picked.begin(), picked.end(),
                   [](const store::KeyValue* a, const store::KeyValue* b) { return a->mod_revision < b->mod_revision; });
  size_t first = req->limit() > 0 && picked.size() > size_t(req->limit()) ? picked.size() - req->limit() : 0;
  for (size_t i = first; i < picked.size(); ++i) {
    ObjectKey key;
    if (!ParseStoreKey(picked[i]->key, key)) continue;
    FillObject(*picked[i], key, resp->add_events());
  }
  resp->set_revision(r->revision);
  return grpc::Status::OK;
}

}  // namespace gorch::engine::server

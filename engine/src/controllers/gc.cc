// Garbage collection through ownerReferences: an object whose owner is gone is
// deleted (its own dependents follow when their owner's delete is seen). Key
// "Kind/ns/name": the dependents of that (deleted) object; "*": a full sweep of
// every owned object (at start and on resync), catching what was orphaned while the
// control plane was down. Also drops a deleted object's status and rollout override.
#include "controllers/internal.h"

namespace gorch::engine::ctrl {
namespace {

constexpr size_t kMaxDeletesPerTxn = 100;

// Kinds whose objects may own others, and the kinds they own.
const std::vector<std::string>& DependentKinds(const std::string& owner_kind) {
  static const std::vector<std::string> kNone;
  static const std::vector<std::string> kDeployment = {"ReplicaSet"};
  static const std::vector<std::string> kPods = {"Pod"};
  static const std::vector<std::string> kCron = {"Job"};
  if (owner_kind == "Deployment") return kDeployment;
  if (owner_kind == "ReplicaSet" || owner_kind == "StatefulSet" || owner_kind == "DaemonSet" ||
      owner_kind == "Job") {
    return kPods;
  }
  if (owner_kind == "CronJob") return kCron;
  return kNone;
}

Status DeleteAll(Context& ctx, std::vector<Mutation>& writes) {
  for (size_t i = 0; i < writes.size(); i += kMaxDeletesPerTxn) {
    std::vector<Mutation> chunk(writes.begin() + i,
                                writes.begin() + std::min(writes.size(), i + kMaxDeletesPerTxn));
    GORCH_RETURN_IF_ERROR(ctx.CommitOrAbort(chunk));
  }
  return Status::Ok();
}

Status Sweep(Context& ctx) {
  std::vector<Mutation> writes;
  for (const char* prefix : {"/ReplicaSet/", "/Pod/", "/Job/"}) {
    for (auto& [key, obj] : ctx.cache().List(prefix)) {
      const Json& o = obj->object();
      Owner owner = OwnerOf(o);
      if (owner.kind.empty()) continue;
      std::string kind, ns, name;
      if (!SplitKey(key, &kind, &ns, &name)) continue;
      if (!ctx.cache().Get(ObjectKey(owner.kind, ns, owner.name))) writes.push_back({key, std::nullopt, obj->mod_revision});
    }
  }
  for (const char* prefix : {"/gorch/status/", "/gorch/rollout/"}) {
    for (auto& [key, obj] : ctx.cache().List(prefix)) {
      std::string_view rest = std::string_view(key).substr(std::string_view(prefix).size() - 1);
      if (!ctx.cache().Get(std::string(rest))) writes.push_back({key, std::nullopt, obj->mod_revision});
    }
  }
  return DeleteAll(ctx, writes);
}

}  // namespace

SyncResult SyncGc(Context& ctx, const std::string& key) {
  if (key == "*") return {Sweep(ctx)};
  const size_t slash = key.find('/');
  const std::string kind = key.substr(0, slash);
  std::string ns, name;
  SplitNsName(key.substr(slash + 1), &ns, &name);
  if (ctx.cache().Get(ObjectKey(kind, ns, name))) return {};  // it came back
  std::vector<Mutation> writes;
  for (const std::string& dep : DependentKinds(kind)) {
    for (auto& [k, obj] : ctx.cache().List(ObjectKey(dep, ns, name + "-"))) {
      if (IsOwnedBy(obj->object(), kind, name)) writes.push_back({k, std::nullopt, obj->mod_revision});
    }
  }
  for (const std::string& extra : {StatusKey(kind, ns, name), kind == "Deployment" ? RolloutOverrideKey(ns, name) : ""}) {
    if (extra.empty()) continue;
    if (const Obj* o = ctx.cache().Get(extra)) writes.push_back({extra, std::nullopt, o->mod_revision});
  }
  return {DeleteAll(ctx, writes)};
}

}  // namespace gorch::engine::ctrl

// Node lifecycle. The rule (docs/controllers.md):
// - heartbeat key /gorch/heartbeat/<node> gone (its lease expired) → the node's
//   Ready condition is set False (reason NodeLeaseExpired), with a Warning event;
// - NotReady for node_grace_period → every pod bound to the node is deleted, so its
//   controller recreates it elsewhere. The grace period is what makes the old pod
//   "known gone" for a StatefulSet: its replacement (same name, same PVC) is only
//   created after it, never beside a pod that may still run;
// - the heartbeat comes back → Ready is set True again (only when this controller
//   had set it False); a deleted Node → its pods are deleted at once.
#include "controllers/internal.h"

namespace gorch::engine::ctrl {
namespace {

constexpr std::string_view kReasonLeaseExpired = "NodeLeaseExpired";

const Json* ReadyCondition(const Json& node) {
  const Json& conds = At(At(node, "status"), "conditions");
  if (!conds.is_array()) return nullptr;
  for (const Json& c : conds) {
    if (StringAt(c, "type") == "Ready") return &c;
  }
  return nullptr;
}

Status EvictPods(Context& ctx, const std::string& node, const std::string& why) {
  std::vector<Mutation> writes;
  std::vector<ObjectRef> evicted;
  for (auto& [key, obj] : ctx.cache().List("/Pod/")) {
    const Json& pod = obj->object();
    if (StringAt(At(pod, "spec"), "nodeName") != node) continue;
    writes.push_back({key, std::nullopt, obj->mod_revision});
    evicted.push_back({"Pod", StringAt(At(pod, "metadata"), "namespace"), StringAt(At(pod, "metadata"), "name")});
    if (writes.size() >= 100) break;
  }
  if (writes.empty()) return Status::Ok();
  GORCH_RETURN_IF_ERROR(ctx.CommitOrAbort(writes));
  for (const ObjectRef& ref : evicted) {
    (void)ctx.Event(ref, EventType::kWarning, "NodeLost", "deleted: node " + node + " " + why);
  }
  return Status::Aborted("more pods to evict");  // sync again: there may be more
}

}  // namespace

SyncResult SyncNode(Context& ctx, const std::string& name) {
  const std::string key = ObjectKey("Node", "", name);
  const Obj* node = ctx.cache().Get(key);
  if (!node) {
    Status s = EvictPods(ctx, name, "was removed");
    return {s.code() == Status::Code::kAborted && s.message() == "more pods to evict" ? Status::Ok() : s};
  }
  const bool alive = ctx.cache().Get(std::string(kHeartbeatPrefix) + name) != nullptr;
  const Json* ready = ReadyCondition(node->object());
  const bool marked_down = ready && StringAt(*ready, "status") != "True";
  const int64_t now = ctx.Now();
  if (alive) {
    if (ready && marked_down && StringAt(*ready, "reason") == kReasonLeaseExpired) {
      Json value = node->value;
      SetCondition(&value["object"]["status"]["conditions"], "Ready", "True", "NodeLeaseRenewed",
                   "heartbeat is back", now);
      Status s = ctx.CommitOrAbort({{key, value, node->mod_revision}});
      if (s.ok()) (void)ctx.Event({"Node", "", name}, EventType::kNormal, "NodeReady", "heartbeat is back");
      return {s};
    }
    return {};
  }
  if (!marked_down) {
    Json value = node->value;
    SetCondition(&value["object"]["status"]["conditions"], "Ready", "False", kReasonLeaseExpired,
                 "the node's heartbeat lease expired", now);
    Status s = ctx.CommitOrAbort({{key, value, node->mod_revision}});
    if (s.ok()) {
      (void)ctx.Event({"Node", "", name}, EventType::kWarning, "NodeNotReady", "heartbeat lease expired");
    }
    return {s, ctx.options().node_grace_period.count()};
  }
  const int64_t since = ParseTime(At(*ready, "lastTransitionTime")).value_or(now);
  const int64_t left = since + ctx.options().node_grace_period.count() - now;
  if (left > 0) return {Status::Ok(), left};
  Status s = EvictPods(ctx, name, "is NotReady past its grace period");
  if (s.code() == Status::Code::kAborted && s.message() == "more pods to evict") return {Status::Ok(), 1};
  return {s};
}

}  // namespace gorch::engine::ctrl

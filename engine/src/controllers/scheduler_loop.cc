// The scheduler loop: every pending pod (no spec.nodeName, not finished) is placed
// by the planner's Scheduler against the Ready nodes and the pods bound to them.
// One sync places all pending pods with one Scheduler (each sees the placements
// before it). An unschedulable pod gets condition PodScheduled=False with the
// scheduler's message and a FailedScheduling event; it is retried when a node or a
// pod changes.
#include <algorithm>
#include <map>

#include "controllers/internal.h"
#include "gorch/planner/scheduler_input.h"

namespace gorch::engine::ctrl {
namespace {

constexpr size_t kMaxBindsPerTxn = 100;

bool NodeReady(const Json& node) {
  const Json& conds = At(At(node, "status"), "conditions");
  if (!conds.is_array()) return true;
  for (const Json& c : conds) {
    if (StringAt(c, "type") == "Ready") return StringAt(c, "status") == "True";
  }
  return true;
}

planner::LabelMap Labels(const Json& object) {
  planner::LabelMap out;
  const Json& l = At(At(object, "metadata"), "labels");
  if (l.is_object()) {
    for (auto it = l.begin(); it != l.end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

Result<planner::PodRequest> Request(const Json& pod, const std::string& ns) {
  return planner::PodRequestFromSpec(ToValue(At(pod, "spec")), ns, StringAt(At(pod, "metadata"), "name"),
                                     Labels(pod));
}

}  // namespace

// The Ready nodes and the pods bound to them (finished pods do not count). A node's
// and a pod's request are read from the object once per version (the memos), not
// on every pass.
Result<planner::ClusterSnapshot> ReadyCluster(Context& ctx) {
  planner::ClusterSnapshot snap;
  std::map<std::string, size_t, std::less<>> index;
  std::unordered_map<std::string, NodeMemo> nodes;
  for (auto& [key, obj] : ctx.cache().List("/Node//")) {
    auto old = ctx.nodes_seen().find(key);
    NodeMemo m;
    if (old != ctx.nodes_seen().end() && old->second.mod_revision == obj->mod_revision) {
      m = std::move(old->second);
    } else {
      m.mod_revision = obj->mod_revision;
      const Json& node = obj->object();
      if (NodeReady(node)) {
        Result<planner::NodeInfo> info = planner::NodeInfoFromObject(ToValue(node));
        if (info.ok()) m.info = std::move(*info);  // a malformed node is not schedulable
      }
    }
    if (m.info) {
      index[m.info->name] = snap.nodes.size();
      snap.nodes.push_back(*m.info);
    }
    nodes.emplace(key, std::move(m));
  }
  ctx.nodes_seen() = std::move(nodes);
  std::unordered_map<std::string, BoundPodMemo> memo;
  memo.reserve(ctx.bound_pods().size());
  for (auto& [key, obj] : ctx.cache().List("/Pod/")) {
    auto old = ctx.bound_pods().find(key);
    BoundPodMemo m;
    if (old != ctx.bound_pods().end() && old->second.mod_revision == obj->mod_revision) {
      m = std::move(old->second);
    } else {
      const Json& pod = obj->object();
      m.mod_revision = obj->mod_revision;
      m.node = StringAt(At(pod, "spec"), "nodeName");
      const std::string phase = StringAt(At(pod, "status"), "phase");
      m.counts = !m.node.empty() && phase != "Succeeded" && phase != "Failed";
      if (m.counts) {
        Result<planner::PodRequest> req = Request(pod, StringAt(At(pod, "metadata"), "namespace"));
        if (req.ok()) m.request = std::move(*req);
      }
    }
    if (!m.counts) continue;
    auto it = index.find(m.node);
    if (it != index.end() && m.request) snap.nodes[it->second].pods.push_back(*m.request);
    memo.emplace(key, std::move(m));
  }
  ctx.bound_pods() = std::move(memo);
  return snap;
}

SyncResult SyncScheduler(Context& ctx, const std::string&) {
  std::vector<std::pair<std::string, const Obj*>> pending;
  for (auto& [key, obj] : ctx.cache().List("/Pod/")) {
    const Json& pod = obj->object();
    if (!StringAt(At(pod, "spec"), "nodeName").empty()) continue;
    const std::string phase = StringAt(At(pod, "status"), "phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    pending.emplace_back(key, obj);
  }
  if (pending.empty()) return {};
  Result<planner::ClusterSnapshot> snap = ReadyCluster(ctx);
  if (!snap.ok()) return {snap.status()};
  Result<planner::Scheduler> sched = planner::Scheduler::Create(*snap, ctx.options().scheduler);
  if (!sched.ok()) return {sched.status()};
  std::vector<Mutation> binds;
  Status result;
  auto flush = [&] {
    Result<bool> ok = ctx.Commit(binds);  // a conflict: those pods are retried below
    if (!ok.ok()) result = ok.status();
    if (ok.ok() && !*ok) result = Status::Aborted("bind conflict");
    binds.clear();
  };
  for (auto& [key, obj] : pending) {
    const Json& pod = obj->object();
    const std::string ns = StringAt(At(pod, "metadata"), "namespace");
    Result<planner::PodRequest> req = Request(pod, ns);
    std::string message;
    Result<planner::Placement> placed = req.ok() ? sched->ScheduleOne(*req) : Result<planner::Placement>(req.status());
    Json value = obj->value;
    if (placed.ok() && placed->scheduled()) {
      value["object"]["spec"]["nodeName"] = placed->node;
      SetCondition(&value["object"]["status"]["conditions"], "PodScheduled", "True", "Scheduled",
                   "assigned to " + placed->node, ctx.Now());
      binds.push_back({key, value, obj->mod_revision});
      if (binds.size() >= kMaxBindsPerTxn) flush();
      continue;
    }
    message = placed.ok() ? placed->message : placed.status().message();
    if (snap->nodes.empty()) message = "0/0 nodes are available: no Ready node";
    const Json& conds = At(At(pod, "status"), "conditions");
    bool same = false;
    if (conds.is_array()) {
      for (const Json& c : conds) {
        if (StringAt(c, "type") == "PodScheduled" && StringAt(c, "message") == message) same = true;
      }
    }
    if (same) continue;
    SetCondition(&value["object"]["status"]["conditions"], "PodScheduled", "False", "Unschedulable", message,
                 ctx.Now());
    Result<bool> ok = ctx.Commit({{key, value, obj->mod_revision}});
    if (ok.ok() && *ok) {
      (void)ctx.Event({"Pod", ns, StringAt(At(pod, "metadata"), "name")}, EventType::kWarning, "FailedScheduling",
                      message);
    }
  }
  flush();
  return {result};
}

}  // namespace gorch::engine::ctrl

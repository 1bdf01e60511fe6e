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

// Brings the scheduler state's memos of nodes and bound pods up to date with the
// cache. A node's and a pod's request are read from the object once per version
// (a pod's once per spec/labels version: status reports do not count). Returns
// whether anything the live Scheduler depends on changed, other than the binds it
// made itself.
bool RefreshMemos(Context& ctx) {
  SchedulerState& st = ctx.scheduler_state();
  const uint64_t pass = ++st.pass;
  bool changed = false;
  size_t nodes_seen = 0;
  ctx.cache().ForEach("/Node//", [&](const std::string& key, const Obj& obj) {
    ++nodes_seen;
    NodeMemo& m = st.nodes[key];
    if (m.mod_revision == obj.mod_revision) return;
    changed = true;
    m.mod_revision = obj.mod_revision;
    m.info.reset();
    const Json& node = obj.object();
    if (NodeReady(node)) {
      Result<planner::NodeInfo> info = planner::NodeInfoFromObject(ToValue(node));
      if (info.ok()) m.info = std::move(*info);  // a malformed node is not schedulable
    }
  });
  if (nodes_seen != st.nodes.size()) {  // nodes deleted
    changed = true;
    for (auto it = st.nodes.begin(); it != st.nodes.end();)
      it = ctx.cache().Get(it->first) ? std::next(it) : st.nodes.erase(it);
  }
  size_t pods_seen = 0;
  ctx.cache().ForEach("/Pod/", [&](const std::string& key, const Obj& obj) {
    const PodView& view = ViewPod(key, obj);
    const bool counts = !view.node.empty() && !view.terminal();
    auto it = st.bound_pods.find(key);
    if (!counts) {
      if (it != st.bound_pods.end()) {  // finished, or unbound: frees its room
        st.bound_pods.erase(it);
        changed = true;
      }
      return;
    }
    ++pods_seen;
    if (it != st.bound_pods.end() && it->second.node == view.node &&
        it->second.shape_revision == obj.shape_revision) {
      it->second.mod_revision = obj.mod_revision;  // a status report: nothing the scheduler reads
      it->second.pass = pass;
      return;
    }
    auto placed = st.placed.find(key);
    // Bound by `live` and not changed since (a status report aside): `live` counts it.
    const bool ours = it == st.bound_pods.end() && placed != st.placed.end() && placed->second.first == view.node &&
                      placed->second.second == obj.shape_revision;
    if (placed != st.placed.end()) st.placed.erase(placed);
    if (!ours) changed = true;
    BoundPodMemo& m = st.bound_pods[key];
    m.mod_revision = obj.mod_revision;
    m.shape_revision = obj.shape_revision;
    m.pass = pass;
    m.node = view.node;
    m.counts = true;
    m.request.reset();
    const Json& pod = obj.object();
    Result<planner::PodRequest> req = Request(pod, StringAt(At(pod, "metadata"), "namespace"));
    if (req.ok()) m.request = std::move(*req);
  });
  if (pods_seen != st.bound_pods.size()) {  // pods deleted
    changed = true;
    for (auto it = st.bound_pods.begin(); it != st.bound_pods.end();)
      it = it->second.pass == pass ? std::next(it) : st.bound_pods.erase(it);
  }
  // Binds the live scheduler made that are not in the cache as made (deleted since).
  if (!st.placed.empty()) changed = true;
  st.placed.clear();
  return changed;
}

// The Ready nodes and the pods bound to them (finished pods do not count), from
// the memos.
planner::ClusterSnapshot SnapshotOfMemos(const SchedulerState& st) {
  planner::ClusterSnapshot snap;
  std::map<std::string_view, size_t> index;
  std::vector<std::pair<const std::string*, const NodeMemo*>> nodes;
  for (const auto& [key, m] : st.nodes)
    if (m.info) nodes.emplace_back(&key, &m);
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [key, m] : nodes) {
    index[m->info->name] = snap.nodes.size();
    snap.nodes.push_back(*m->info);
  }
  std::vector<std::pair<const std::string*, const BoundPodMemo*>> pods;
  pods.reserve(st.bound_pods.size());
  for (const auto& [key, m] : st.bound_pods)
    if (m.request) pods.emplace_back(&key, &m);
  std::sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [key, m] : pods) {
    auto it = index.find(m->node);
    if (it != index.end()) snap.nodes[it->second].pods.push_back(*m->request);
  }
  return snap;
}

Result<planner::ClusterSnapshot> ReadyCluster(Context& ctx) {
  if (RefreshMemos(ctx)) ctx.scheduler_state().live.reset();
  return SnapshotOfMemos(ctx.scheduler_state());
}

SyncResult SyncScheduler(Context& ctx, const std::string&) {
  std::vector<std::pair<std::string, const Obj*>> pending;  // keys copied: a bind erases them from the set
  for (auto it = ctx.pending_pods().begin(); it != ctx.pending_pods().end();) {
    const Obj* obj = ctx.cache().Get(*it);
    const PodView* view = obj ? &ViewPod(*it, *obj) : nullptr;
    if (!view || !view->node.empty() || view->terminal()) {
      it = ctx.pending_pods().erase(it);  // gone, bound or finished since
      continue;
    }
    pending.emplace_back(*it, obj);
    ++it;
  }
  if (pending.empty()) return {};
  SchedulerState& st = ctx.scheduler_state();
  if (RefreshMemos(ctx)) st.live.reset();
  if (!st.live) {
    Result<planner::Scheduler> built = planner::Scheduler::Create(SnapshotOfMemos(st), ctx.options().scheduler);
    if (!built.ok()) return {built.status()};
    st.live.emplace(std::move(*built));
  }
  planner::Scheduler* sched = &*st.live;
  const bool no_nodes = sched->node_count() == 0;
  std::vector<std::vector<Mutation>> binds(1);  // transactions of at most kMaxBindsPerTxn
  std::vector<std::string> bound_keys;
  for (auto& [key, obj] : pending) {
    const Json& pod = obj->object();
    const std::string ns = StringAt(At(pod, "metadata"), "namespace");
    Result<planner::PodRequest> req = Request(pod, ns);
    std::string message;
    Result<planner::Placement> placed = req.ok() ? sched->ScheduleOne(*req) : Result<planner::Placement>(req.status());
    Json value = obj->value;
    if (placed.ok() && placed->scheduled()) {
      st.placed[key] = {placed->node, 0};
      value["object"]["spec"]["nodeName"] = placed->node;
      SetCondition(&value["object"]["status"]["conditions"], "PodScheduled", "True", "Scheduled",
                   "assigned to " + placed->node, ctx.Now());
      if (binds.back().size() >= kMaxBindsPerTxn) binds.emplace_back();
      binds.back().push_back({key, std::move(value), obj->mod_revision});
      bound_keys.push_back(key);
      continue;
    }
    message = placed.ok() ? placed->message : placed.status().message();
    if (no_nodes) message = "0/0 nodes are available: no Ready node";
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
  // Every bind in flight at once; a conflict: those pods are retried.
  Status written = ctx.CommitAll(std::move(binds));
  if (!written.ok()) {
    st.live.reset();  // it holds placements that were not written
    st.placed.clear();
    return {written};
  }
  for (const std::string& k : bound_keys)
    if (const Obj* o = ctx.cache().Get(k)) st.placed[k].second = o->shape_revision;
  return {};
}

}  // namespace gorch::engine::ctrl

// The DaemonSet controller: one pod "<name>-<node>" per eligible node through
// planner::NextDaemonSetStep. Eligible: a Ready node that passes the pod's static
// scheduler filters (nodeSelector, node affinity, taints); resources, ports and
// cordoning do not exclude a node (as Kubernetes' daemon pods). Daemon pods are
// bound to their node at creation (spec.nodeName), not by the scheduler loop.
// Status at /gorch/status/DaemonSet/<ns>/<name>.
#include "controllers/internal.h"
#include "gorch/planner/rollout.h"
#include "gorch/planner/scheduler_input.h"
#include "gorch/planner/workload_pods.h"

namespace gorch::engine::ctrl {

Result<planner::ClusterSnapshot> ReadyCluster(Context& ctx);  // scheduler_loop.cc

namespace {

Result<std::vector<std::string>> EligibleNodes(Context& ctx, const Json& tmpl, const std::string& ns,
                                               const std::string& name) {
  Result<planner::ClusterSnapshot> snap = ReadyCluster(ctx);
  if (!snap.ok()) return snap.status();
  for (planner::NodeInfo& n : snap->nodes) n.pods.clear();  // resources do not matter
  Result<planner::Scheduler> sched = planner::Scheduler::Create(*snap, ctx.options().scheduler);
  if (!sched.ok()) return sched.status();
  Result<planner::PodRequest> req = planner::PodRequestFromSpec(ToValue(At(tmpl, "spec")), ns, name + "-probe", {});
  if (!req.ok()) return req.status();
  Result<std::vector<planner::NodeEvaluation>> eval = sched->Evaluate(*req);
  if (!eval.ok()) return eval.status();
  std::vector<std::string> out;
  for (const planner::NodeEvaluation& e : *eval) {
    const planner::FilterPlugin p = e.filter.plugin;
    if (e.filter.ok() || p == planner::FilterPlugin::kNodeResourcesFit || p == planner::FilterPlugin::kNodePorts ||
        p == planner::FilterPlugin::kNodeUnschedulable) {
      out.push_back(snap->nodes[e.node_index].name);
    }
  }
  return out;
}

}  // namespace

SyncResult SyncDaemonSet(Context& ctx, const std::string& key) {
  std::string ns, name;
  SplitNsName(key, &ns, &name);
  const Obj* ds = ctx.cache().Get(ObjectKey("DaemonSet", ns, name));
  if (!ds) return {};
  const Json& spec = At(ds->object(), "spec");
  const Json& tmpl = At(spec, "template");
  const std::string hash = planner::TemplateHash(ToValue(tmpl));
  planner::DaemonSetRollout r;
  r.name = name;
  r.min_ready_seconds = static_cast<int32_t>(IntAt(spec, "minReadySeconds", 0));
  const Json& ru = At(At(spec, "updateStrategy"), "rollingUpdate");
  for (auto [field, target] : {std::pair{"maxUnavailable", &r.max_unavailable}, std::pair{"maxSurge", &r.max_surge}}) {
    const Json& v = At(ru, field);
    if (v.is_number_integer()) *target = planner::IntOrPercent::Int(v.get<int32_t>());
    if (v.is_string()) {
      auto parsed = planner::IntOrPercent::Parse(v.get<std::string>());
      if (!parsed.ok()) return {parsed.status()};
      *target = *parsed;
    }
  }
  Result<std::vector<std::string>> nodes = EligibleNodes(ctx, tmpl, ns, name);
  if (!nodes.ok()) return {nodes.status()};
  const int64_t now = ctx.Now();
  std::optional<int64_t> wait;
  std::vector<planner::PodStatus> pods;
  int64_t ready = 0, updated = 0;
  for (auto& [pk, pobj] : OwnedPods(ctx.cache(), ns, "DaemonSet", name)) {
    PodView v = ViewPod(pk, *pobj);
    planner::PodStatus p;
    p.name = v.name;
    p.node = v.node;
    p.updated = StringAt(At(At(pobj->object(), "metadata"), "labels"), kPodTemplateHashLabel) == hash;
    p.ready = v.ready;
    p.available = Available(v, r.min_ready_seconds, now, &wait);
    ready += p.ready;
    updated += p.updated;
    pods.push_back(std::move(p));
  }
  Result<planner::RolloutStep> step = planner::NextDaemonSetStep(r, *nodes, pods);
  if (!step.ok()) return {step.status()};
  std::vector<Mutation> writes;
  for (const std::string& victim : step->remove) {
    const std::string k = ObjectKey("Pod", ns, victim);
    if (const Obj* o = ctx.cache().Get(k)) writes.push_back({k, std::nullopt, o->mod_revision});
  }
  for (const planner::PodToCreate& c : step->create) {
    const std::string k = ObjectKey("Pod", ns, c.name);
    if (ctx.cache().Get(k) || writes.size() >= 100) continue;  // the old one is still going away
    Json pod = NewPod(ns, c.name, tmpl, "DaemonSet", "apps/v1", name,
                      {{std::string(kPodTemplateHashLabel), hash}});
    pod["object"]["spec"]["nodeName"] = c.node;
    writes.push_back({k, pod, 0});
  }
  if (!writes.empty()) return {ctx.CommitOrAbort(writes)};
  Json st = {{"desiredNumberScheduled", nodes->size()},
             {"currentNumberScheduled", pods.size()},
             {"numberReady", ready},
             {"updatedNumberScheduled", updated}};
  return {WriteStatus(ctx, "DaemonSet", ns, name, st), wait};
}

}  // namespace gorch::engine::ctrl

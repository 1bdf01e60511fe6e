// The rollout part of a plan step: the waves the engine will drive a workload
// through, computed by the same rollout functions the engine calls.
#include "gorch/planner/plan.h"
#include "gorch/planner/workload_pods.h"

namespace gorch::planner {

using lang::Value;

namespace {

int32_t IntAt(const Value& v, std::string_view path, int32_t dflt) {
  const Value* f = v.FindPath(path);
  return f && f->is_int() ? static_cast<int32_t>(f->as_int()) : dflt;
}

std::string StrAt(const Value& v, std::string_view path, std::string dflt) {
  const Value* f = v.FindPath(path);
  return f && f->is_string() ? f->as_string() : dflt;
}

Result<IntOrPercent> IntOrPercentAt(const Value& v, std::string_view path, IntOrPercent dflt) {
  const Value* f = v.FindPath(path);
  if (!f) return dflt;
  if (f->is_int()) return IntOrPercent::Int(static_cast<int32_t>(f->as_int()));
  if (f->is_string()) return IntOrPercent::Parse(f->as_string());
  return Status::InvalidArgument(std::string(path) + " must be an integer or a percentage");
}

// The pods of the live revision, all ready and available: the plan assumes the
// live state it was computed against is settled.
std::vector<PodStatus> OldPods(const std::vector<std::string>& names) {
  std::vector<PodStatus> pods;
  for (const std::string& n : names) {
    PodStatus p;
    p.name = n;
    p.ready = p.available = true;
    pods.push_back(std::move(p));
  }
  return pods;
}

std::vector<std::string> LivePodNames(const compiler::Resource& desired, const LiveResource* live) {
  if (!live) return {};
  compiler::Resource old;
  old.id = desired.id;
  old.object = live->object;
  return DesiredPodNames(old);
}

}  // namespace

Status AddRollout(const compiler::Resource& r, const LiveResource* live, PlanStep& step) {
  const Value& o = r.object;
  const std::string& kind = r.id.kind;
  Result<std::vector<RolloutWave>> waves = std::vector<RolloutWave>{};
  if (kind == "Deployment" || kind == "ReplicaSet") {
    DeploymentRollout spec;
    spec.replicas = IntAt(o, "spec.replicas", 1);
    spec.min_ready_seconds = IntAt(o, "spec.minReadySeconds", 0);
    spec.new_pod_prefix = r.id.name + "-" + TemplateHash(*PodTemplate(r));
    if (StrAt(o, "spec.strategy.type", "RollingUpdate") == "Recreate") {
      spec.strategy = DeploymentStrategy::kRecreate;
      step.strategy = "Recreate";
    } else {
      auto surge = IntOrPercentAt(o, "spec.strategy.rollingUpdate.maxSurge", IntOrPercent::Percent(25));
      auto unavailable = IntOrPercentAt(o, "spec.strategy.rollingUpdate.maxUnavailable", IntOrPercent::Percent(25));
      if (!surge.ok()) return surge.status();
      if (!unavailable.ok()) return unavailable.status();
      spec.max_surge = *surge;
      spec.max_unavailable = *unavailable;
      step.strategy = "RollingUpdate maxSurge=" + surge->ToString() + " maxUnavailable=" + unavailable->ToString();
    }
    waves = PlanDeploymentRollout(spec, OldPods(LivePodNames(r, live)));
  } else if (kind == "StatefulSet") {
    StatefulSetRollout spec;
    spec.name = r.id.name;
    spec.replicas = IntAt(o, "spec.replicas", 1);
    spec.min_ready_seconds = IntAt(o, "spec.minReadySeconds", 0);
    spec.partition = IntAt(o, "spec.updateStrategy.rollingUpdate.partition", 0);
    bool parallel = StrAt(o, "spec.podManagementPolicy", "OrderedReady") == "Parallel";
    spec.pod_management = parallel ? PodManagementPolicy::kParallel : PodManagementPolicy::kOrderedReady;
    bool on_delete = StrAt(o, "spec.updateStrategy.type", "RollingUpdate") == "OnDelete";
    spec.update_strategy = on_delete ? StatefulSetUpdateStrategy::kOnDelete : StatefulSetUpdateStrategy::kRollingUpdate;
    step.strategy = std::string(parallel ? "Parallel" : "OrderedReady") + (on_delete ? " OnDelete" : " RollingUpdate");
    if (spec.partition > 0) step.strategy += " partition=" + std::to_string(spec.partition);
    std::vector<PodStatus> pods = OldPods(LivePodNames(r, live));
    for (size_t i = 0; i < pods.size(); ++i) pods[i].ordinal = static_cast<int32_t>(i);
    waves = PlanStatefulSetRollout(spec, pods);
  } else if (kind == "DaemonSet") {
    DaemonSetRollout spec;
    spec.name = r.id.name;
    spec.min_ready_seconds = IntAt(o, "spec.minReadySeconds", 0);
    auto unavailable = IntOrPercentAt(o, "spec.updateStrategy.rollingUpdate.maxUnavailable", IntOrPercent::Int(1));
    auto surge = IntOrPercentAt(o, "spec.updateStrategy.rollingUpdate.maxSurge", IntOrPercent::Int(0));
    if (!surge.ok()) return surge.status();
    if (!unavailable.ok()) return unavailable.status();
    spec.max_unavailable = *unavailable;
    spec.max_surge = *surge;
    step.strategy = "RollingUpdate maxUnavailable=" + unavailable->ToString() + " maxSurge=" + surge->ToString();
    std::vector<std::string> nodes;
    std::vector<PodStatus> old;
    for (const PodPlacement& p : step.placements) {
      nodes.push_back(p.node);
      if (live) {
        PodStatus s;
        s.name = r.id.name + "-" + p.node + "-old";
        s.node = p.node;
        s.ready = s.available = true;
        old.push_back(std::move(s));
      }
    }
    waves = PlanDaemonSetRollout(spec, nodes, old);
  } else if (kind == "Job") {
    JobRollout spec;
    spec.name = r.id.name;
    spec.parallelism = IntAt(o, "spec.parallelism", 1);
    spec.completions = IntAt(o, "spec.completions", -1);
    step.strategy = "parallelism=" + std::to_string(spec.parallelism) +
                    (spec.completions >= 0 ? " completions=" + std::to_string(spec.completions) : "");
    waves = PlanJobRollout(spec, {});
  }
  if (!waves.ok()) return Status::InvalidArgument(r.id.ToString() + ": " + waves.status().message());
  step.waves = std::move(*waves);
  return Status::Ok();
}

}  // namespace gorch::planner

// DaemonSet rollouts, after Kubernetes' DaemonSet controller: manage (one pod per
// eligible node, none elsewhere) then rollingUpdate (maxUnavailable, or maxSurge).
#include <algorithm>
#include <map>

#include "rollout_internal.h"

namespace gorch::planner {

namespace {

struct NodePods {
  std::vector<const PodStatus*> old_pods, new_pods;  // live
  bool terminating = false;
};

struct Budget {
  int32_t max_unavailable = 0;
  int32_t max_surge = 0;
};

Result<Budget> Resolve(const DaemonSetRollout& spec, int32_t desired) {
  if (spec.max_unavailable.value < 0 || spec.max_surge.value < 0) {
    return Status::InvalidArgument("maxUnavailable and maxSurge must not be negative");
  }
  if (spec.max_unavailable.value == 0 && spec.max_surge.value == 0) {
    return Status::InvalidArgument("maxUnavailable and maxSurge may not both be 0");
  }
  return Budget{spec.max_unavailable.Scaled(desired, true), spec.max_surge.Scaled(desired, true)};
}

// New pods are "<name>-<node>", or "<name>-<node>-<k>" while that name is taken
// (an old pod being replaced may still hold it).
void CreateOn(const DaemonSetRollout& spec, const std::string& node, std::set<std::string>* used,
              RolloutStep* step) {
  std::string name = spec.name + "-" + node;
  if (!used->insert(name).second) name = internal::NextFreeName(name, used);
  step->create.push_back({name, true, -1, node});
}

// Without surge: old pods are deleted (unavailable ones at once, others within
// maxUnavailable) and recreated by the manage part of the next step.
void UpdateWithoutSurge(const std::map<std::string, NodePods>& nodes, int32_t max_unavailable, RolloutStep* step) {
  int32_t unavailable = 0;
  std::vector<std::string> candidates;
  for (const auto& [node, pods] : nodes) {
    const PodStatus* fresh = pods.new_pods.empty() ? nullptr : pods.new_pods[0];
    const PodStatus* old = pods.old_pods.empty() ? nullptr : pods.old_pods[0];
    if ((fresh == nullptr) == (old == nullptr)) {
      ++unavailable;  // no pod yet, or both (manage resolves it)
    } else if (fresh != nullptr) {
      if (!fresh->available) ++unavailable;
    } else if (!old->available) {
      step->remove.push_back(old->name);
    } else if (unavailable < max_unavailable) {
      candidates.push_back(old->name);
    }
  }
  const int32_t room = std::clamp(max_unavailable - unavailable, 0, static_cast<int32_t>(candidates.size()));
  step->remove.insert(step->remove.end(), candidates.begin(), candidates.begin() + room);
}

// With surge: a new pod starts beside the old one; the old one goes once the new
// one is available.
void UpdateWithSurge(const DaemonSetRollout& spec, const std::map<std::string, NodePods>& nodes, int32_t max_surge,
                     std::set<std::string>* used, RolloutStep* step) {
  int32_t surging = 0;
  std::vector<std::string> candidates;
  for (const auto& [node, pods] : nodes) {
    const PodStatus* fresh = pods.new_pods.empty() ? nullptr : pods.new_pods[0];
    const PodStatus* old = pods.old_pods.empty() ? nullptr : pods.old_pods[0];
    if (old == nullptr) continue;
    if (fresh == nullptr) {
      if (pods.terminating) continue;
      if (!old->available) {
        CreateOn(spec, node, used, step);
      } else if (surging < max_surge) {
        candidates.push_back(node);
      }
    } else if (!fresh->available) {
      ++surging;
    } else {
      step->remove.push_back(old->name);
    }
  }
  const int32_t room = std::clamp(max_surge - surging, 0, static_cast<int32_t>(candidates.size()));
  for (int32_t i = 0; i < room; ++i) CreateOn(spec, candidates[i], used, step);
}

}  // namespace

Result<RolloutStep> NextDaemonSetStep(const DaemonSetRollout& spec, const std::vector<std::string>& eligible_nodes,
                                      const std::vector<PodStatus>& pods) {
  std::map<std::string, NodePods> nodes;
  for (const std::string& n : eligible_nodes) nodes[n];
  Result<Budget> budget = Resolve(spec, static_cast<int32_t>(nodes.size()));
  if (!budget.ok()) return budget.status();
  RolloutStep step;
  std::set<std::string> used = internal::PodNames(pods);
  bool settled = true;
  for (const PodStatus& p : pods) {
    auto it = nodes.find(p.node);
    if (it == nodes.end()) {  // not (or no longer) eligible
      if (!p.terminating) step.remove.push_back(p.name);
      settled = false;
      continue;
    }
    if (p.terminating) {
      it->second.terminating = true;
      settled = false;
      continue;
    }
    (p.updated ? it->second.new_pods : it->second.old_pods).push_back(&p);
  }
  // Manage: one pod per eligible node; extras, and old pods beside an available
  // new one, go.
  for (auto& [node, np] : nodes) {
    if (np.new_pods.empty() && np.old_pods.empty()) {
      if (!np.terminating) CreateOn(spec, node, &used, &step);
      continue;
    }
    for (size_t i = 1; i < np.new_pods.size(); ++i) step.remove.push_back(np.new_pods[i]->name);
    for (size_t i = 1; i < np.old_pods.size(); ++i) step.remove.push_back(np.old_pods[i]->name);
    if (!np.new_pods.empty() && !np.old_pods.empty() && budget->max_surge == 0) {
      step.remove.push_back(np.old_pods[0]->name);
    }
    settled &= np.old_pods.empty() && np.new_pods.size() == 1 && np.new_pods[0]->available;
  }
  if (budget->max_surge == 0) {
    UpdateWithoutSurge(nodes, budget->max_unavailable, &step);
  } else {
    UpdateWithSurge(spec, nodes, budget->max_surge, &used, &step);
  }
  // A pod can be named twice (an extra that is also a candidate): keep the first.
  std::vector<std::string> unique;
  for (const std::string& name : step.remove) {
    if (std::find(unique.begin(), unique.end(), name) == unique.end()) unique.push_back(name);
  }
  step.remove = std::move(unique);
  step.complete = step.empty() && settled;
  return step;
}

Result<std::vector<RolloutWave>> PlanDaemonSetRollout(const DaemonSetRollout& spec,
                                                      const std::vector<std::string>& eligible_nodes,
                                                      const std::vector<PodStatus>& pods) {
  auto next = [&](const std::vector<PodStatus>& now) { return NextDaemonSetStep(spec, eligible_nodes, now); };
  const size_t limit = 10 + 4 * (pods.size() + eligible_nodes.size());
  return internal::SimulateWaves(pods, next, WaitKind::kReady, spec.min_ready_seconds, limit);
}

}  // namespace gorch::planner

// Job rollouts: keep min(parallelism, remaining completions) pods running.
#include <algorithm>

#include "rollout_internal.h"

namespace gorch::planner {

Result<RolloutStep> NextJobStep(const JobRollout& spec, const std::vector<PodStatus>& pods) {
  if (spec.parallelism < 0) return Status::InvalidArgument("parallelism must not be negative");
  if (spec.completions < -1) return Status::InvalidArgument("completions must be -1 (unset) or >= 0");
  int32_t succeeded = 0;
  std::vector<const PodStatus*> active;
  for (const PodStatus& p : pods) {
    if (p.succeeded) {
      ++succeeded;
    } else if (!p.failed && !p.terminating) {
      active.push_back(&p);
    }
  }
  const int32_t running = static_cast<int32_t>(active.size());
  RolloutStep step;
  int32_t wanted = 0;
  if (spec.completions >= 0) {
    wanted = std::min(spec.parallelism, std::max(spec.completions - succeeded, 0));
    step.complete = succeeded >= spec.completions && running == 0;
  } else {
    // A work queue: once one pod succeeded no new pod starts; done when none runs.
    wanted = succeeded > 0 ? std::min(running, spec.parallelism) : spec.parallelism;
    step.complete = succeeded > 0 && running == 0;
  }
  if (running < wanted) {
    std::set<std::string> used = internal::PodNames(pods);
    int from = 1;
    for (int32_t i = running; i < wanted; ++i) {
      step.create.push_back({internal::NextFreeName(spec.name, &used, &from), true, -1, ""});
    }
  } else if (running > wanted && !(spec.completions < 0 && succeeded > 0)) {
    std::vector<const PodStatus*> order = internal::DeletionOrder(active);
    for (int32_t i = 0; i < running - wanted; ++i) step.remove.push_back(order[i]->name);
  }
  step.complete = step.complete && step.empty();
  return step;
}

Result<std::vector<RolloutWave>> PlanJobRollout(const JobRollout& spec, const std::vector<PodStatus>& pods) {
  if (spec.parallelism == 0) return std::vector<RolloutWave>{};  // suspended: nothing will run
  auto next = [&spec](const std::vector<PodStatus>& now) { return NextJobStep(spec, now); };
  const size_t completions = static_cast<size_t>(std::max(spec.completions, 1));
  const size_t limit = 10 + 4 * (pods.size() + completions);
  return internal::SimulateWaves(pods, next, WaitKind::kCompleted, 0, limit);
}

}  // namespace gorch::planner

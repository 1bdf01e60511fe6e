// Picking the winner among the scored candidates, with the deterministic tie-break.
#include "scheduler_plugins.h"

namespace gorch::planner::internal {

size_t SchedulerImpl::PickBest(const PodContext& ctx, const std::vector<Candidate>& cands,
                               const ScoreBounds& bounds) const {
  size_t best = 0;
  int64_t best_total = INT64_MIN;
  // When no normalized plugin varies over the candidates (no soft spread, no
  // preferred terms, no preferred node affinity or PreferNoSchedule taint among
  // them) they add the same amount everywhere: compare the fixed part only.
  const bool constant = ctx.shape->soft_spread.empty() && ctx.shape->preferred.empty() &&
                        bounds.node_affinity_max == 0 && bounds.taint_max == 0;
  for (size_t i = 0; i < cands.size(); ++i) {
    const int64_t total =
        constant ? cands[i].fixed_total : NormalizedTotal(ctx, cands[i], bounds);
    if (total < best_total) continue;
    if (total == best_total) {
      const uint32_t n = cands[i].node, m = cands[best].node;
      if (tie_key_[n] > tie_key_[m]) continue;
      if (tie_key_[n] == tie_key_[m] && index_.node(n).name >= index_.node(m).name) continue;
    }
    best = i;
    best_total = total;
  }
  return best;
}

}  // namespace gorch::planner::internal

// Internal: the per-node code of the filter and score plugins, inline because it runs
// once per (pod, node) and must stay a few nanoseconds: it only reads flat arrays
// and counters (no allocation, no strings). Texts of the reasons live in
// scheduler_filters.cc, normalization bounds and the pick in scheduler_scores.cc.
#pragma once

#include <algorithm>
#include <cstdlib>

#include "scheduler_impl.h"

namespace gorch::planner::internal {

inline constexpr int64_t kMaxScore = 100;
inline constexpr int64_t kFractionOne = int64_t{1} << 16;

// floor(num / den) for 0 <= num < 2^62, 0 < den <= 2^46, given inv = 1.0 / den.
// Exact: the double estimate is within one of the quotient and is corrected, so
// results equal integer division (a divide costs several times more).
inline int64_t DivFloor(int64_t num, int64_t den, double inv) {
  int64_t q = static_cast<int64_t>(static_cast<double>(num) * inv);
  if (q * den > num) {
    --q;
  } else if ((q + 1) * den <= num) {
    ++q;
  }
  return q;
}

// Least allocated: 100 * (allocatable - requested) / allocatable, 0 when over.
inline int64_t LeastAllocatedScore(int64_t requested, int64_t allocatable, double inv) {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return DivFloor((allocatable - requested) * kMaxScore, allocatable, inv);
}

// Most allocated: 100 * min(requested, allocatable) / allocatable.
inline int64_t MostAllocatedScore(int64_t requested, int64_t allocatable, double inv) {
  if (allocatable <= 0) return 0;
  return DivFloor(std::min(requested, allocatable) * kMaxScore, allocatable, inv);
}

// requested / allocatable in units of 1/65536, capped at 1.
inline int64_t Fraction(int64_t requested, int64_t allocatable, double inv) {
  if (allocatable <= 0 || requested >= allocatable) return kFractionOne;
  return DivFloor(requested << 16, allocatable, inv);
}

inline bool SchedulerImpl::Fits(const PodContext& ctx, uint32_t n, Failure* fail) const {
  // NodePorts
  if (!ctx.pod->host_ports.empty() && !ports_[n].empty()) {
    uint32_t which = 0;
    if (PortConflict(*ctx.pod, n, &which)) {
      *fail = {FailKind::kPort, 0, which};
      return false;
    }
  }
  // NodeResourcesFit: a resource the pod does not request is not checked.
  const NodeState& node = nodes_[n];
  uint8_t short_of = 0;
  if (ctx.cpu > 0 && node.req_cpu + ctx.cpu > node.alloc_cpu) short_of |= kInsufficientCpu;
  if (ctx.memory > 0 && node.req_memory + ctx.memory > node.alloc_memory) short_of |= kInsufficientMemory;
  if (node.pods + 1 > node.alloc_pods) short_of |= kTooManyPods;
  if (short_of != 0) {
    *fail = {FailKind::kResources, short_of, 0};
    return false;
  }
  // PodTopologySpread: skew = pods in the node's domain (+1 if the pod itself
  // matches) - the least populated eligible domain.
  const PodShape& shape = *ctx.shape;
  for (size_t i = 0; i < shape.hard_spread.size(); ++i) {
    const DomainCounter& c = *shape.hard_spread[i].counter;
    const int32_t d = c.domain_of_node[n];
    if (d < 0) {
      *fail = {FailKind::kSpreadMissingKey, 0, c.key};
      return false;
    }
    if (c.counts[d] + ctx.self_match[i] - c.min > shape.hard_spread[i].max_skew) {
      *fail = {FailKind::kSpreadSkew, 0, c.key};
      return false;
    }
  }
  // PodAffinity: every term finds a selected pod in the node's domain; the node
  // must carry every topology key.
  for (const DomainCounter* c : shape.affinity) {
    const int32_t d = c->domain_of_node[n];
    if (d < 0 || (c->counts[d] == 0 && !ctx.affinity_bootstrap)) {
      *fail = {FailKind::kPodAffinity, 0, c->key};
      return false;
    }
  }
  // PodAntiAffinity: no pod the term selects in the node's domain; a node without
  // the topology key is not constrained.
  for (const DomainCounter* c : shape.anti) {
    const int32_t d = c->domain_of_node[n];
    if (d >= 0 && c->counts[d] > 0) {
      *fail = {FailKind::kAntiAffinity, 0, c->key};
      return false;
    }
  }
  for (const DomainCounter* group : ctx.existing_anti) {
    const int32_t d = group->domain_of_node[n];
    if (d >= 0 && group->counts[d] > 0) {
      *fail = {FailKind::kExistingAntiAffinity, 0, group->key};
      return false;
    }
  }
  return true;
}

// Scores that need no normalization (NodeResourcesFit, BalancedAllocation) and the
// raw values of those that do (spread and inter-pod counts). The resource scores
// depend only on the node's requests and the pod's, so they are memoized per node
// for the last request class seen there (pods of one workload share it).
inline void SchedulerImpl::Prescore(const PodContext& ctx, Candidate* c) {
  NodeState& node = nodes_[c->node];
  if (node.memo_request == ctx.request_class) {
    c->fit = node.memo_fit;
    c->balanced = node.memo_balanced;
  } else {
    // NodeResourcesFit: cpu and memory equally weighted; pods that request nothing
    // count as 100m / 200Mi, as in Kubernetes.
    const int64_t cpu = node.nz_cpu + ctx.nz_cpu, memory = node.nz_memory + ctx.nz_memory;
    if (options_.resource_scoring == ResourceScoring::kLeastAllocated) {
      c->fit = static_cast<int32_t>((LeastAllocatedScore(cpu, node.alloc_cpu, node.inv_cpu) +
                                     LeastAllocatedScore(memory, node.alloc_memory, node.inv_memory)) / 2);
    } else {
      c->fit = static_cast<int32_t>((MostAllocatedScore(cpu, node.alloc_cpu, node.inv_cpu) +
                                     MostAllocatedScore(memory, node.alloc_memory, node.inv_memory)) / 2);
    }
    // BalancedAllocation: 100 * (1 - |cpu fraction - memory fraction| / 2).
    const int64_t diff = std::abs(Fraction(node.req_cpu + ctx.cpu, node.alloc_cpu, node.inv_cpu) -
                                  Fraction(node.req_memory + ctx.memory, node.alloc_memory, node.inv_memory));
    c->balanced = static_cast<int32_t>((2 * kFractionOne - diff) * kMaxScore / (2 * kFractionOne));
    node.memo_request = ctx.request_class;
    node.memo_fit = c->fit;
    node.memo_balanced = c->balanced;
  }
  const auto& w = options_.weights;
  c->fixed_total = int64_t{w[ScorePlugin::kNodeResourcesFit]} * c->fit +
                   int64_t{w[ScorePlugin::kBalancedAllocation]} * c->balanced;

  const PodShape& shape = *ctx.shape;
  c->spread_raw = 0;
  c->spread_ignored = false;
  for (const SpreadRef& ref : shape.soft_spread) {
    const int32_t d = ref.counter->domain_of_node[c->node];
    if (d < 0) {
      c->spread_ignored = true;
      break;
    }
    c->spread_raw += ref.counter->counts[d];
  }
  c->inter_pod_raw = 0;
  for (const PreferredRef& ref : shape.preferred) {
    c->inter_pod_raw += int64_t{ref.weight} * ref.counter->CountAt(c->node);
  }
}

// PodTopologySpread (ScheduleAnyway): fewer matching pods in the node's domains
// scores higher; nodes without the topology keys score 0.
inline int64_t SpreadScore(const PodShape& shape, const Candidate& c, const ScoreBounds& b) {
  if (shape.soft_spread.empty() || c.spread_ignored) return 0;
  if (b.spread_max == 0) return kMaxScore;
  return DivFloor(kMaxScore * (b.spread_max + b.spread_min - c.spread_raw), b.spread_max, b.spread_inv);
}

// NodeAffinity (preferred): matched weights, scaled so the best node scores 100.
inline int64_t NodeAffinityScore(const StaticClass& cls, const Candidate& c, const ScoreBounds& b) {
  if (b.node_affinity_max <= 0) return 0;
  return DivFloor(kMaxScore * cls.node_affinity_raw[c.position], b.node_affinity_max,
                  b.node_affinity_inv);
}

// InterPodAffinity (preferred): weighted matching pods in the node's domain, scaled
// between the lowest (0) and the highest (100) candidate.
inline int64_t InterPodScore(const PodShape& shape, const Candidate& c, const ScoreBounds& b) {
  if (shape.preferred.empty() || b.inter_pod_max <= b.inter_pod_min) return 0;
  return DivFloor(kMaxScore * (c.inter_pod_raw - b.inter_pod_min), b.inter_pod_max - b.inter_pod_min,
                  b.inter_pod_inv);
}

// TaintToleration (PreferNoSchedule): fewer untolerated taints scores higher.
inline int64_t TaintScore(const StaticClass& cls, const Candidate& c, const ScoreBounds& b) {
  if (b.taint_max == 0) return kMaxScore;
  return kMaxScore - DivFloor(kMaxScore * cls.taint_raw[c.position], b.taint_max, b.taint_inv);
}

inline int64_t SchedulerImpl::NormalizedTotal(const PodContext& ctx, const Candidate& c,
                                              const ScoreBounds& b) const {
  const PodShape& shape = *ctx.shape;
  const auto& w = options_.weights;
  return c.fixed_total + w[ScorePlugin::kPodTopologySpread] * SpreadScore(shape, c, b) +
         w[ScorePlugin::kNodeAffinity] * NodeAffinityScore(*shape.cls, c, b) +
         w[ScorePlugin::kInterPodAffinity] * InterPodScore(shape, c, b) +
         w[ScorePlugin::kTaintToleration] * TaintScore(*shape.cls, c, b);
}

inline ScoreBreakdown SchedulerImpl::Score(const PodContext& ctx, const Candidate& c,
                                           const ScoreBounds& b) const {
  const PodShape& shape = *ctx.shape;
  ScoreBreakdown s;
  auto set = [&s](ScorePlugin p, int64_t v) { s.plugin[static_cast<size_t>(p)] = static_cast<int32_t>(v); };
  set(ScorePlugin::kNodeResourcesFit, c.fit);
  set(ScorePlugin::kBalancedAllocation, c.balanced);
  set(ScorePlugin::kPodTopologySpread, SpreadScore(shape, c, b));
  set(ScorePlugin::kNodeAffinity, NodeAffinityScore(*shape.cls, c, b));
  set(ScorePlugin::kInterPodAffinity, InterPodScore(shape, c, b));
  set(ScorePlugin::kTaintToleration, TaintScore(*shape.cls, c, b));
  for (size_t p = 0; p < kScorePluginCount; ++p) {
    s.total += int64_t{options_.weights.weight[p]} * s.plugin[p];
  }
  return s;
}

}  // namespace gorch::planner::internal

// Internal: the scheduler's working state and its plugins.
//
// Work is split by how often it changes:
//  - StaticClass: the filters and scores that depend only on the node and on the
//    pod's nodeSelector / node affinity / tolerations (NodeUnschedulable,
//    TaintToleration, NodeAffinity; preferred node affinity and PreferNoSchedule
//    scores). Computed once per distinct combination, over all nodes.
//  - PodShape: everything of a pod but its name, labels, requests and ports; holds
//    the compiled anti-affinity, spread and preferred-affinity counters.
//  - PodContext: one pod being placed (requests, labels, which existing
//    anti-affinity terms reject it).
// The per-node loop then only reads flat arrays and counters: no allocation and no
// string work per (pod, node).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gorch/planner/scheduler.h"
#include "scheduler_index.h"

namespace gorch::planner::internal {

enum class FailKind : uint8_t {
  kNone,
  kUnschedulable,      // NodeUnschedulable
  kNotReady,           // TaintToleration (implicit not-ready taint)
  kTaint,              // TaintToleration; detail = index into the node's taints
  kNodeAffinity,       // NodeAffinity (nodeSelector or required terms)
  kPort,               // NodePorts; detail = index into the pod's host ports
  kResources,          // NodeResourcesFit; resources = bit set below
  kSpreadMissingKey,   // PodTopologySpread; detail = topology key id
  kSpreadSkew,         // PodTopologySpread; detail = topology key id
  kPodAffinity,        // PodAffinity; detail = topology key id
  kAntiAffinity,       // PodAntiAffinity, the pod's own term; detail = key id
  kExistingAntiAffinity,  // PodAntiAffinity, a bound pod's term; detail = key id
};
inline constexpr uint8_t kInsufficientCpu = 1, kInsufficientMemory = 2, kTooManyPods = 4;

struct Failure {
  FailKind kind = FailKind::kNone;
  uint8_t resources = 0;
  uint32_t detail = 0;
};

struct StaticClass {
  PodRequest key;                   // only the static fields are set
  std::vector<uint32_t> eligible;   // nodes passing the static filters, in node order
  std::vector<int32_t> node_affinity_raw;  // per eligible position
  std::vector<int32_t> taint_raw;          // per eligible position
  bool has_node_affinity_score = false;
  bool has_taint_score = false;
  std::vector<uint8_t> affinity_match;     // per node: nodeSelector + required terms hold
  std::vector<Failure> static_failure;     // per node (kNone when eligible)
  std::map<std::string, int32_t> static_reasons;  // reason -> nodes (filled lazily)
  bool static_reasons_ready = false;
};

struct SpreadRef {
  DomainCounter* counter = nullptr;
  int32_t max_skew = 1;
};

struct PreferredRef {
  DomainCounter* counter = nullptr;
  int32_t weight = 0;  // negative for anti-affinity
};

struct PodShape {
  PodRequest key;  // the pod with name, labels, requests and ports cleared
  StaticClass* cls = nullptr;
  uint32_t ns = kNone;
  std::vector<DomainCounter*> affinity;      // required affinity terms
  std::vector<DomainCounter*> anti;          // own required anti-affinity terms
  std::vector<DomainCounter*> owner_groups;  // groups this pod joins when bound
  std::vector<SpreadRef> hard_spread, soft_spread;
  std::vector<PreferredRef> preferred;
};

struct PodContext {
  const PodRequest* pod = nullptr;
  PodShape* shape = nullptr;
  int64_t cpu = 0, memory = 0;        // requests (fit, balanced)
  int64_t nz_cpu = 0, nz_memory = 0;  // non-zero requests (least/most allocated)
  uint32_t request_class = kNone;     // same id for pods with equal requests
  LabelPairs labels;
  std::vector<uint32_t> matching_selectors;
  std::vector<DomainCounter*> existing_anti;  // bound pods' terms that reject it
  std::vector<int32_t> self_match;  // per hard spread constraint: 1 if the pod counts
  // No pod matches any required affinity term yet and the pod matches them all: the
  // terms do not constrain it (the first pod of a group).
  bool affinity_bootstrap = false;
};

// What the scheduler tracks per node. The filter check and the memoized scores
// (read for every node scanned) fill the first cache line; the rest is read only
// when the memo misses.
struct alignas(64) NodeState {
  int64_t alloc_cpu = 0, alloc_memory = 0, alloc_pods = 0;
  int64_t req_cpu = 0, req_memory = 0, pods = 0;
  // The resource scores last computed here, for pods of request class memo_request
  // (kNone: none). Binding a pod to the node clears it.
  uint32_t memo_request = 0xffffffffu;
  int32_t memo_fit = 0, memo_balanced = 0;
  // Second cache line.
  int64_t nz_cpu = 0, nz_memory = 0;   // requests, a pod asking nothing counted as default
  double inv_cpu = 0, inv_memory = 0;  // 1 / allocatable (0 when none)
};

// A feasible node: the scores that need no normalization, and the raw values of
// those that do.
struct Candidate {
  uint32_t node = 0;
  uint32_t position = 0;  // in the class's eligible list
  int32_t fit = 0;        // NodeResourcesFit
  int32_t balanced = 0;   // BalancedAllocation
  int64_t fixed_total = 0;  // weighted fit + balanced
  int64_t spread_raw = 0;
  bool spread_ignored = false;
  int64_t inter_pod_raw = 0;
};

// Per-pod normalization bounds over the candidates (Extend one by one).
struct ScoreBounds {
  int64_t spread_min = INT64_MAX, spread_max = 0;
  int64_t inter_pod_min = INT64_MAX, inter_pod_max = INT64_MIN;
  int32_t node_affinity_max = 0;
  int32_t taint_max = 0;
  // 1 / the divisor each normalization uses (see DivFloor); set by Finish().
  double spread_inv = 0, inter_pod_inv = 0, node_affinity_inv = 0, taint_inv = 0;

  void Extend(const Candidate& c, const StaticClass& cls) {
    if (!c.spread_ignored) {
      spread_min = std::min(spread_min, c.spread_raw);
      spread_max = std::max(spread_max, c.spread_raw);
    }
    inter_pod_min = std::min(inter_pod_min, c.inter_pod_raw);
    inter_pod_max = std::max(inter_pod_max, c.inter_pod_raw);
    node_affinity_max = std::max(node_affinity_max, cls.node_affinity_raw[c.position]);
    taint_max = std::max(taint_max, cls.taint_raw[c.position]);
  }
  void Finish() {
    auto inverse = [](int64_t v) { return v > 0 ? 1.0 / static_cast<double>(v) : 0.0; };
    spread_inv = inverse(spread_max);
    inter_pod_inv = inverse(inter_pod_max - inter_pod_min);
    node_affinity_inv = inverse(node_affinity_max);
    taint_inv = inverse(taint_max);
  }
};

class SchedulerImpl {
 public:
  SchedulerImpl(const ClusterSnapshot& snapshot, const SchedulerOptions& options);

  Result<Placement> ScheduleOne(const PodRequest& pod);
  Result<std::vector<NodeEvaluation>> Evaluate(const PodRequest& pod);

  ResourceList Requested(size_t n) const { return {nodes_[n].req_cpu, nodes_[n].req_memory}; }
  int64_t PodCount(size_t n) const { return nodes_[n].pods; }
  size_t node_count() const { return index_.node_count(); }

 private:
  // scheduler_static.cc
  StaticClass* ClassFor(const PodRequest& pod);
  void BuildClass(StaticClass* cls);
  const std::map<std::string, int32_t>& StaticReasons(StaticClass* cls);

  // scheduler_shape.cc
  PodShape* ShapeFor(const PodRequest& pod);
  void BuildShape(PodShape* shape);
  void BuildContext(const PodRequest& pod, PodContext* ctx);
  void Bind(const PodContext& ctx, uint32_t n);
  void BindExisting(const PodRequest& pod, uint32_t n);

  // scheduler_plugins.h (inline): the dynamic filters; false (with *fail set) when
  // n is out. Then a feasible node's own scores (Prescore: resources and raw
  // values), and its full breakdown once bounds over all candidates are known.
  bool Fits(const PodContext& ctx, uint32_t n, Failure* fail) const;
  void Prescore(const PodContext& ctx, Candidate* c);
  int64_t NormalizedTotal(const PodContext& ctx, const Candidate& c, const ScoreBounds& b) const;
  ScoreBreakdown Score(const PodContext& ctx, const Candidate& c, const ScoreBounds& b) const;

  // scheduler_filters.cc
  bool PortConflict(const PodRequest& pod, uint32_t n, uint32_t* which) const;
  std::vector<std::string> ReasonTexts(const Failure& fail, const PodContext& ctx,
                                       uint32_t n) const;
  FilterStatus ToFilterStatus(const Failure& fail, const PodContext& ctx, uint32_t n) const;
  std::string UnschedulableMessage(const PodContext& ctx,
                                   const std::vector<std::pair<uint32_t, Failure>>& failures);

  // scheduler_scores.cc: the best candidate (highest total, then tie-break key).
  size_t PickBest(const PodContext& ctx, const std::vector<Candidate>& cands,
                  const ScoreBounds& bounds) const;

  size_t FeasibleNodesToFind() const;

  SchedulerOptions options_;
  ClusterIndex index_;

  // Per node (index = position in the snapshot).
  std::vector<NodeState> nodes_;
  std::vector<uint64_t> tie_key_;
  std::vector<std::vector<HostPort>> ports_;

  std::unordered_map<uint64_t, std::vector<std::unique_ptr<StaticClass>>> classes_;
  std::unordered_map<uint64_t, std::vector<std::unique_ptr<PodShape>>> shapes_;
  std::map<std::pair<int64_t, int64_t>, uint32_t> request_classes_;

  size_t next_start_ = 0;  // where the next sampled scan starts
  size_t pods_seen_ = 0;

  // Scratch reused across pods (no allocation per pod in steady state).
  PodContext ctx_;
  std::vector<Candidate> candidates_;
  std::vector<std::pair<uint32_t, Failure>> failures_;
};

// Kubernetes' defaults for a pod that requests nothing, used by the resource scores.
inline constexpr int64_t kDefaultCpuRequest = 100;                  // millicores
inline constexpr int64_t kDefaultMemoryRequest = 200ll * 1024 * 1024;  // bytes

}  // namespace gorch::planner::internal

// The scheduler: places pods onto nodes with filter and score plugins in the style of
// the Kubernetes scheduler framework. Pure: no I/O, no clock, no unseeded randomness;
// equal inputs give equal placements.
//
//   Filter plugins (a node must pass all, checked in this order): NodeUnschedulable,
//   TaintToleration (NoSchedule, NoExecute), NodeAffinity (nodeSelector and required
//   node affinity), NodePorts, NodeResourcesFit (cpu, memory, pod count),
//   PodTopologySpread (DoNotSchedule), PodAffinity (required), PodAntiAffinity
//   (required; the pod's own terms and those of pods already placed).
//   Score plugins (each 0..100, times a weight): NodeResourcesFit (LeastAllocated or
//   MostAllocated), BalancedAllocation, PodTopologySpread (ScheduleAnyway),
//   NodeAffinity (preferred), InterPodAffinity (preferred affinity/anti-affinity),
//   TaintToleration (PreferNoSchedule).
//
// docs/scheduler.md gives the formulas, the tie-break and the sampling rule.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/planner/scheduler_model.h"

namespace gorch::planner {

enum class ResourceScoring : uint8_t { kLeastAllocated, kMostAllocated };

enum class FilterPlugin : uint8_t {
  kNodeUnschedulable,
  kNodeAffinity,
  kTaintToleration,
  kNodeResourcesFit,
  kNodePorts,
  kPodAntiAffinity,
  kPodTopologySpread,
  kPodAffinity,
};
std::string_view FilterPluginName(FilterPlugin plugin);

enum class ScorePlugin : uint8_t {
  kNodeResourcesFit,
  kBalancedAllocation,
  kPodTopologySpread,
  kNodeAffinity,
  kInterPodAffinity,
  kTaintToleration,
};
inline constexpr size_t kScorePluginCount = 6;
std::string_view ScorePluginName(ScorePlugin plugin);

// Weight of each score plugin, indexed by ScorePlugin; 0 disables a plugin. The
// defaults are kube-scheduler's.
struct ScoreWeights {
  std::array<int32_t, kScorePluginCount> weight = {1, 1, 2, 2, 2, 3};
  int32_t& operator[](ScorePlugin p) { return weight[static_cast<size_t>(p)]; }
  int32_t operator[](ScorePlugin p) const { return weight[static_cast<size_t>(p)]; }
};

struct SchedulerOptions {
  ResourceScoring resource_scoring = ResourceScoring::kLeastAllocated;
  ScoreWeights weights;
  // How many feasible nodes to look for before scoring, as kube-scheduler's
  // percentageOfNodesToScore: 0 = adaptive (max(5, 50 - nodes/125) percent, at least
  // 100 nodes), 100 = full scan (every node is filtered and every feasible node
  // scored). Clusters under 100 nodes are always scanned fully. The scan starts where
  // the previous pod's scan stopped, so sampling is deterministic.
  int32_t percentage_of_nodes_to_score = 0;
  // Mixed into each node's tie-break key (NodeTieBreakKey).
  uint64_t tie_break_seed = 0;
};

// The outcome of one filter plugin for one (pod, node).
enum class FilterCode : uint8_t {
  kSuccess,
  kUnschedulable,  // the pod cannot go on this node; reasons say why
  kError,          // an internal error; the pod is not placed and Schedule fails
};

struct FilterStatus {
  FilterCode code = FilterCode::kSuccess;
  FilterPlugin plugin = FilterPlugin::kNodeUnschedulable;  // meaningful when !ok()
  // "insufficient cpu", "untolerated taint dedicated=db", ... Several only for
  // NodeResourcesFit (one per insufficient resource).
  std::vector<std::string> reasons;
  bool ok() const { return code == FilterCode::kSuccess; }
};

// Normalized score (0..100) of each plugin for a node, and the weighted total.
struct ScoreBreakdown {
  std::array<int32_t, kScorePluginCount> plugin{};  // indexed by ScorePlugin
  int64_t total = 0;                                // sum of weight * plugin score
  int32_t operator[](ScorePlugin p) const { return plugin[static_cast<size_t>(p)]; }
};

// "total 412: NodeResourcesFit 87x1, BalancedAllocation 98x1, ..." (plugins with
// weight 0 left out).
std::string DescribeScore(const ScoreBreakdown& score, const ScoreWeights& weights);

struct Placement {
  size_t pod_index = 0;  // position of the pod among those given to the scheduler
  int32_t node_index = -1;  // into ClusterSnapshot::nodes; -1 when unschedulable
  std::string node;         // the node's name; empty when unschedulable
  ScoreBreakdown score;     // the winning node's breakdown
  // Nodes the dynamic filters (ports, resources, spread, anti-affinity) ran on: those
  // that passed the pod's static filters, all of them unless sampling stopped early.
  int32_t nodes_evaluated = 0;
  int32_t nodes_feasible = 0;  // of those, nodes that passed (and were scored)
  // Unschedulable: "0/5 nodes fit: 3 insufficient cpu, 2 untolerated taint
  // dedicated=db" (reasons grouped, most frequent first, then by text).
  std::string message;
  bool scheduled() const { return node_index >= 0; }
};

// The verdict on one node for one pod (Scheduler::Evaluate).
struct NodeEvaluation {
  int32_t node_index = 0;
  FilterStatus filter;   // the first filter that failed, or success
  ScoreBreakdown score;  // when filter.ok(): the node's score among all feasible nodes
};

// The deterministic tie-break: among nodes with equal totals, the one with the
// smallest key wins (then the smallest name). A 64-bit mix of the seed and an FNV-1a
// hash of the name, so ties spread over nodes rather than following name order.
uint64_t NodeTieBreakKey(std::string_view node_name, uint64_t seed);

namespace internal {
class SchedulerImpl;
}

// Holds an indexed copy of a snapshot and binds pods into it one at a time, so each
// pod sees the placements made before it. Not thread-safe; cheap to move.
class Scheduler {
 public:
  // InvalidArgument when the snapshot or options are malformed (ValidateSnapshot).
  static Result<Scheduler> Create(const ClusterSnapshot& snapshot,
                                  const SchedulerOptions& options = {});
  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  ~Scheduler();

  // Places pod on the best feasible node and binds it there (later pods see it).
  // An unschedulable pod is not an error: the Placement has node_index -1 and a
  // message. InvalidArgument when the pod is malformed (ValidatePod).
  Result<Placement> ScheduleOne(const PodRequest& pod);

  // Runs every filter on every node and scores every feasible node (a full scan,
  // whatever the sampling option), without binding. For explanations and tests.
  Result<std::vector<NodeEvaluation>> Evaluate(const PodRequest& pod);

  // What is bound to node i now: requested cpu/memory and pod count.
  ResourceList Requested(size_t node_index) const;
  int64_t PodCount(size_t node_index) const;
  size_t node_count() const;

 private:
  explicit Scheduler(std::unique_ptr<internal::SchedulerImpl> impl);
  std::unique_ptr<internal::SchedulerImpl> impl_;
};

// Places pods in order into snapshot (each seeing the previous placements) and
// returns one Placement per pod, in order. InvalidArgument for a malformed snapshot
// or pod (nothing is placed then).
Result<std::vector<Placement>> Schedule(const ClusterSnapshot& snapshot,
                                        const std::vector<PodRequest>& pods,
                                        const SchedulerOptions& options = {});

}  // namespace gorch::planner

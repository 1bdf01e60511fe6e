// Small builders for scheduler tests.
#pragma once

#include <string>
#include <vector>

#include "gorch/planner/scheduler.h"

namespace gorch::planner::testing {

inline constexpr int64_t kMi = int64_t{1} << 20;
inline constexpr int64_t kGi = int64_t{1} << 30;

inline NodeInfo Node(std::string name, int64_t cpu = 4000, int64_t memory = 16 * kGi,
                     LabelMap labels = {}) {
  NodeInfo node;
  node.name = std::move(name);
  node.allocatable = {cpu, memory};
  node.labels = std::move(labels);
  return node;
}

inline PodRequest Pod(std::string name, int64_t cpu = 100, int64_t memory = 128 * kMi,
                      LabelMap labels = {}) {
  PodRequest pod;
  pod.name = std::move(name);
  pod.requests = {cpu, memory};
  pod.labels = std::move(labels);
  return pod;
}

inline LabelSelector Selector(LabelMap match_labels) {
  LabelSelector s;
  s.match_labels = std::move(match_labels);
  return s;
}

// Weights with only plugin p enabled.
inline SchedulerOptions Only(ScorePlugin p) {
  SchedulerOptions options;
  options.weights.weight.fill(0);
  options.weights[p] = 1;
  options.percentage_of_nodes_to_score = 100;
  return options;
}

// Evaluates pod on a fresh scheduler over snapshot; fails the test on error.
inline std::vector<NodeEvaluation> EvaluateOn(const ClusterSnapshot& snapshot, const PodRequest& pod,
                                              const SchedulerOptions& options = {}) {
  auto scheduler = Scheduler::Create(snapshot, options);
  if (!scheduler.ok()) return {};
  auto result = scheduler->Evaluate(pod);
  if (!result.ok()) return {};
  return std::move(result).value();
}

}  // namespace gorch::planner::testing

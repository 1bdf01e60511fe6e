// The Plan: what applying a desired state to a live state will do, in order.
// A value: computed by MakePlan (pure), saved by `gorch plan --out`, read back by
// `gorch apply PLANFILE`, which refuses it when the live state has moved on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/compiler/desired_state.h"
#include "gorch/lang/types.h"
#include "gorch/planner/diff.h"
#include "gorch/planner/live_state.h"
#include "gorch/planner/rollout.h"
#include "gorch/planner/scheduler.h"

namespace gorch::planner {

inline constexpr int kPlanFormatVersion = 1;

// One pod of a workload and where it goes.
struct PodPlacement {
  std::string pod;      // "web-7d9f5-0", "redis-0"
  std::string node;     // empty when unschedulable
  std::string reason;   // the winning score, or why no node fits
  bool scheduled() const { return !node.empty(); }
};

struct PlanStep {
  ResourceChange change;
  // create / update: the whole desired object and its content hash, so that
  // `gorch apply PLANFILE` applies exactly what was planned, without the sources.
  std::optional<lang::Value> object;
  std::string content_hash;
  std::vector<PodPlacement> placements;  // workloads only
  std::vector<RolloutWave> waves;        // workloads only (rollout.h)
  std::string strategy;                  // "RollingUpdate maxSurge=1 maxUnavailable=0", ...
};

struct PlanSummary {
  int create = 0, update = 0, remove = 0, no_op = 0, orphan = 0;
  int pods_placed = 0, pods_unschedulable = 0;
};

struct Plan {
  int format_version = kPlanFormatVersion;
  int64_t base_revision = 0;  // the live state's store revision
  std::string desired_hash;
  std::string commit;
  std::string source;
  std::string owner;  // DiffOptions::owner: stamped on what the apply writes ("" = `gorch apply`)
  std::vector<PlanStep> steps;  // apply order; no-ops left out
  PlanSummary summary;

  bool HasChanges() const { return summary.create + summary.update + summary.remove > 0; }
  // Versioned JSON (format_version); FromJson(ToJson(p)) == p.
  std::string ToJson() const;
  static Result<Plan> FromJson(std::string_view json, std::string_view file_name);
};

struct PlanOptions {
  DiffOptions diff;
  SchedulerOptions scheduler;
  // The nodes to place pods on: from the live state, or a described cluster
  // (`--nodes 5x4cpu16Gi`). Without nodes, placements are left out.
  const ClusterSnapshot* cluster = nullptr;
};

// desired × live → Plan. Pure and deterministic.
Result<Plan> MakePlan(const compiler::DesiredState& desired, const LiveState& live,
                      const lang::SchemaSet& schemas, const PlanOptions& options);

// Renderers: Terraform-like text (+ ~ - with field diffs; colour codes only when
// colour is true), Markdown for a pull-request comment.
std::string RenderText(const Plan& plan, bool colour);
std::string RenderMarkdown(const Plan& plan);

}  // namespace gorch::planner

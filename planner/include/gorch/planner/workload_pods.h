// From a workload's manifest to the pods it asks for, in the scheduler's terms.
#pragma once

#include <string>
#include <vector>

#include "gorch/base/status.h"
#include "gorch/compiler/desired_state.h"
#include "gorch/lang/value.h"
#include "gorch/planner/scheduler_input.h"

namespace gorch::planner {

// The pod template of a workload (the object itself for a Pod); null for kinds
// that have none (and for CronJob, whose pods come later, on its schedule).
const lang::Value* PodTemplate(const compiler::Resource& r);

// A short, stable hash of a pod template (10 hex digits, FNV-1a over canonical
// JSON), as the pod-template-hash label: equal templates give equal hashes.
std::string TemplateHash(const lang::Value& pod_template);

// How many pods the workload wants and their names, in creation order:
// Deployment/ReplicaSet "<name>-<hash>-<i>", StatefulSet "<name>-<ordinal>",
// Job "<name>-<i>" (parallelism, at most completions), Pod its own name.
// DaemonSets are placed per node by the caller (empty here).
std::vector<std::string> DesiredPodNames(const compiler::Resource& r);

// The scheduler's view of one pod of a workload (PodRequestFromSpec on its template).
Result<PodRequest> PodRequestFor(const compiler::Resource& r, const std::string& pod_name);

}  // namespace gorch::planner

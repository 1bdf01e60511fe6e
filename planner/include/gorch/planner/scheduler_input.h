// Building the scheduler's model from manifests (lang::Value trees in the Kubernetes
// format, as the compiler and the store hold them) and from a described cluster
// (`gorch plan --nodes 5x4cpu16Gi,2x8cpu32Gi:gpu=true`). Pure functions; every
// error is InvalidArgument naming where (file:line:col when known) and what.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gorch/base/status.h"
#include "gorch/lang/value.h"
#include "gorch/planner/scheduler_model.h"

namespace gorch::planner {

// Kubernetes quantities ("500m", "0.5", "2", "1e3", "128Mi", "1G", "1.5Gi"): CPU in
// millicores, memory in bytes, rounded up as Kubernetes does. Negative values and
// values above kMaxQuantity are rejected.
Result<int64_t> ParseCpuMillis(std::string_view quantity);
Result<int64_t> ParseMemoryBytes(std::string_view quantity);
// The same for a manifest value: a string, an integer or a number.
Result<int64_t> CpuMillis(const lang::Value& quantity);
Result<int64_t> MemoryBytes(const lang::Value& quantity);

// A PodRequest from a PodSpec map (a Pod's spec, or a workload's
// spec.template.spec): container requests (a container's limits where it has no
// requests, init containers as in EffectiveRequest), host ports, nodeSelector,
// affinity (node, pod, pod anti-affinity; matchFields on metadata.name becomes a
// requirement on kubernetes.io/hostname), tolerations, topologySpreadConstraints.
// A null labelSelector in an affinity term or spread constraint selects no pod (as
// in Kubernetes). Fields the scheduler does not use are ignored.
Result<PodRequest> PodRequestFromSpec(const lang::Value& pod_spec, std::string namespace_, std::string name,
                                      LabelMap labels);

// A NodeInfo from a Node object: metadata.name and labels, spec.unschedulable and
// taints, status.allocatable (cpu, memory, pods; status.capacity where allocatable
// lacks one) and the Ready condition (a node without conditions counts as ready).
// Pods bound to the node are not part of a Node: the caller adds them to pods.
Result<NodeInfo> NodeInfoFromObject(const lang::Value& node);

// A described cluster: comma-separated groups "[COUNT x] CPU cpu MEMORY
// [:key=value]...", e.g. "5x4cpu16Gi,2x8cpu32Gi:gpu=true" (CPU and MEMORY are
// quantities). Nodes are named node-1, node-2, ... in order, carry the group's labels
// and allow 110 pods.
Result<ClusterSnapshot> ParseDescribedCluster(std::string_view spec);

}  // namespace gorch::planner

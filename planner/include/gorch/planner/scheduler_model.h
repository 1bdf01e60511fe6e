// The scheduler's input model: plain structs describing nodes (with what is already
// bound to them) and pods to place, in the shape of the Kubernetes API fields they
// come from. The planner's diff code (or `gorch plan --nodes`) fills these from the
// DesiredState / LiveState; the scheduler never reads manifests itself.
//
// Quantities are integers: CPU in millicores, memory in bytes. Every struct compares
// with == so callers and tests can check round trips.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gorch/base/status.h"

namespace gorch::planner {

// Labels (and nodeSelector): key -> value, sorted by key.
using LabelMap = std::map<std::string, std::string>;

// The label every node carries with its own name (the kubelet sets it). The
// scheduler adds it to a node that lacks it, so topologyKey "kubernetes.io/hostname"
// always means "this node".
inline constexpr std::string_view kHostnameLabel = "kubernetes.io/hostname";
// Implicit NoSchedule taints: a node that is not Ready, or cordoned (unschedulable),
// rejects pods unless they tolerate these keys (DaemonSet pods do).
inline constexpr std::string_view kNotReadyTaintKey = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kUnschedulableTaintKey = "node.kubernetes.io/unschedulable";

struct ResourceList {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  bool operator==(const ResourceList&) const = default;
};

// A pod's effective request, as Kubernetes computes it: per resource, the larger of
// the sum over containers and the largest init container.
ResourceList EffectiveRequest(const std::vector<ResourceList>& containers,
                              const std::vector<ResourceList>& init_containers);

enum class TaintEffect : uint8_t { kNoSchedule, kPreferNoSchedule, kNoExecute };
std::string_view TaintEffectName(TaintEffect effect);  // "NoSchedule", ...

struct Taint {
  std::string key;
  std::string value;  // may be empty
  TaintEffect effect = TaintEffect::kNoSchedule;
  bool operator==(const Taint&) const = default;
};

enum class TolerationOperator : uint8_t { kEqual, kExists };

struct Toleration {
  std::string key;  // empty with kExists: tolerates every taint
  TolerationOperator op = TolerationOperator::kEqual;
  std::string value;                  // compared with kEqual only
  std::optional<TaintEffect> effect;  // unset: every effect
  bool operator==(const Toleration&) const = default;
};

// True when toleration tolerates taint (the Kubernetes rule).
bool Tolerates(const Toleration& toleration, const Taint& taint);

enum class SelectorOperator : uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
std::string_view SelectorOperatorName(SelectorOperator op);

// One matchExpressions entry. kGt / kLt (one integer value) are allowed in node
// selector terms only; kIn / kNotIn need at least one value; kExists /
// kDoesNotExist take none.
struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;
  bool operator==(const SelectorRequirement&) const = default;
};

// A nodeSelectorTerm: every requirement must hold (AND). An empty term matches no
// node, as in Kubernetes.
struct NodeSelectorTerm {
  std::vector<SelectorRequirement> match_expressions;
  bool operator==(const NodeSelectorTerm&) const = default;
};

struct PreferredSchedulingTerm {
  int32_t weight = 1;  // 1..100
  NodeSelectorTerm preference;
  bool operator==(const PreferredSchedulingTerm&) const = default;
};

// A pod label selector: matchLabels AND matchExpressions. An empty selector matches
// every pod.
struct LabelSelector {
  LabelMap match_labels;
  std::vector<SelectorRequirement> match_expressions;
  bool operator==(const LabelSelector&) const = default;
};

// True when labels satisfy the selector / term (Gt and Lt compare integers; a value
// that is not an integer does not match).
bool Matches(const LabelSelector& selector, const LabelMap& labels);
bool Matches(const NodeSelectorTerm& term, const LabelMap& labels);

struct PodAffinityTerm {
  LabelSelector selector;
  std::vector<std::string> namespaces;  // empty: the namespace of the pod declaring it
  std::string topology_key;             // required
  bool operator==(const PodAffinityTerm&) const = default;
};

struct WeightedPodAffinityTerm {
  int32_t weight = 1;  // 1..100
  PodAffinityTerm term;
  bool operator==(const WeightedPodAffinityTerm&) const = default;
};

enum class WhenUnsatisfiable : uint8_t { kDoNotSchedule, kScheduleAnyway };

// Counts pods of the declaring pod's namespace matching selector.
struct TopologySpreadConstraint {
  int32_t max_skew = 1;  // >= 1
  std::string topology_key;
  WhenUnsatisfiable when_unsatisfiable = WhenUnsatisfiable::kDoNotSchedule;
  LabelSelector selector;
  bool operator==(const TopologySpreadConstraint&) const = default;
};

enum class Protocol : uint8_t { kTCP, kUDP, kSCTP };
std::string_view ProtocolName(Protocol protocol);

struct HostPort {
  int32_t port = 0;  // 1..65535
  Protocol protocol = Protocol::kTCP;
  std::string host_ip;  // empty or "0.0.0.0": every address
  bool operator==(const HostPort&) const = default;
};

// What the scheduler needs of a pod: its identity, labels, requests and every
// scheduling constraint.
struct PodRequest {
  std::string namespace_ = "default";
  std::string name;
  LabelMap labels;
  ResourceList requests;  // see EffectiveRequest
  LabelMap node_selector;
  std::vector<NodeSelectorTerm> required_node_affinity;  // ORed; empty: no constraint
  std::vector<PreferredSchedulingTerm> preferred_node_affinity;
  std::vector<Toleration> tolerations;
  // Every term must find a matching pod in the node's domain (the first pod of a
  // group that matches its own terms may go anywhere while none exists).
  std::vector<PodAffinityTerm> required_pod_affinity;
  std::vector<PodAffinityTerm> required_pod_anti_affinity;
  std::vector<WeightedPodAffinityTerm> preferred_pod_affinity;
  std::vector<WeightedPodAffinityTerm> preferred_pod_anti_affinity;
  std::vector<TopologySpreadConstraint> topology_spread_constraints;
  std::vector<HostPort> host_ports;
  bool operator==(const PodRequest&) const = default;
};

struct NodeInfo {
  std::string name;
  ResourceList allocatable;
  int64_t allocatable_pods = 110;
  LabelMap labels;
  std::vector<Taint> taints;
  bool unschedulable = false;  // cordoned
  bool ready = true;           // condition Ready
  // Pods already bound to this node: their requests, host ports, labels (seen by
  // anti-affinity and spread) and required anti-affinity terms count.
  std::vector<PodRequest> pods;
  bool operator==(const NodeInfo&) const = default;
};

// A read-only picture of the cluster the scheduler places pods into.
struct ClusterSnapshot {
  std::vector<NodeInfo> nodes;  // names unique
  bool operator==(const ClusterSnapshot&) const = default;
};

// Largest CPU (millicores) or memory (bytes) quantity accepted: 2^46 (64 TiB), so
// that score arithmetic stays within int64.
inline constexpr int64_t kMaxQuantity = int64_t{1} << 46;

// InvalidArgument naming the pod and the field when a pod is malformed (negative or
// huge request, bad operator use, weight outside 1..100, maxSkew < 1, port outside
// 1..65535, empty topology key).
Status ValidatePod(const PodRequest& pod);
// InvalidArgument for duplicate or empty node names, negative allocatable, or a
// malformed bound pod.
Status ValidateSnapshot(const ClusterSnapshot& snapshot);

}  // namespace gorch::planner

// Helpers over the scheduler's input model: effective requests, toleration and
// selector semantics (the reference rules, used where speed does not matter), and
// validation.
#include <algorithm>
#include <charconv>
#include <set>
#include <string>

#include "gorch/planner/scheduler_model.h"

namespace gorch::planner {

ResourceList EffectiveRequest(const std::vector<ResourceList>& containers,
                              const std::vector<ResourceList>& init_containers) {
  ResourceList sum;
  for (const ResourceList& c : containers) {
    sum.cpu_millis += c.cpu_millis;
    sum.memory_bytes += c.memory_bytes;
  }
  for (const ResourceList& c : init_containers) {
    sum.cpu_millis = std::max(sum.cpu_millis, c.cpu_millis);
    sum.memory_bytes = std::max(sum.memory_bytes, c.memory_bytes);
  }
  return sum;
}

std::string_view TaintEffectName(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNoSchedule: return "NoSchedule";
    case TaintEffect::kPreferNoSchedule: return "PreferNoSchedule";
    case TaintEffect::kNoExecute: return "NoExecute";
  }
  return "?";
}

std::string_view SelectorOperatorName(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn: return "In";
    case SelectorOperator::kNotIn: return "NotIn";
    case SelectorOperator::kExists: return "Exists";
    case SelectorOperator::kDoesNotExist: return "DoesNotExist";
    case SelectorOperator::kGt: return "Gt";
    case SelectorOperator::kLt: return "Lt";
  }
  return "?";
}

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTCP: return "TCP";
    case Protocol::kUDP: return "UDP";
    case Protocol::kSCTP: return "SCTP";
  }
  return "?";
}

bool Tolerates(const Toleration& toleration, const Taint& taint) {
  if (toleration.effect && *toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  if (toleration.op == TolerationOperator::kExists) return true;
  return toleration.value == taint.value;
}

namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool RequirementHolds(const SelectorRequirement& req, const LabelMap& labels) {
  auto it = labels.find(req.key);
  const bool present = it != labels.end();
  auto listed = [&] {
    return std::find(req.values.begin(), req.values.end(), it->second) != req.values.end();
  };
  switch (req.op) {
    case SelectorOperator::kIn: return present && listed();
    case SelectorOperator::kNotIn: return !present || !listed();
    case SelectorOperator::kExists: return present;
    case SelectorOperator::kDoesNotExist: return !present;
    case SelectorOperator::kGt:
    case SelectorOperator::kLt: {
      if (!present || req.values.size() != 1) return false;
      auto have = ParseInt(it->second);
      auto want = ParseInt(req.values[0]);
      if (!have || !want) return false;
      return req.op == SelectorOperator::kGt ? *have > *want : *have < *want;
    }
  }
  return false;
}

}  // namespace

bool Matches(const LabelSelector& selector, const LabelMap& labels) {
  for (const auto& [key, value] : selector.match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const SelectorRequirement& req : selector.match_expressions) {
    if (!RequirementHolds(req, labels)) return false;
  }
  return true;
}

bool Matches(const NodeSelectorTerm& term, const LabelMap& labels) {
  if (term.match_expressions.empty()) return false;
  for (const SelectorRequirement& req : term.match_expressions) {
    if (!RequirementHolds(req, labels)) return false;
  }
  return true;
}

namespace {

Status Invalid(const PodRequest& pod, std::string_view what) {
  return Status::InvalidArgument("pod " + pod.namespace_ + "/" + pod.name + ": " +
                                 std::string(what));
}

Status CheckRequirement(const PodRequest& pod, const SelectorRequirement& req,
                        bool node_term, std::string_view where) {
  const std::string at = std::string(where) + " requirement on '" + req.key + "'";
  if (req.key.empty()) return Invalid(pod, std::string(where) + ": empty key");
  switch (req.op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (req.values.empty()) return Invalid(pod, at + ": In/NotIn needs values");
      return Status::Ok();
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!req.values.empty()) return Invalid(pod, at + ": Exists/DoesNotExist takes no values");
      return Status::Ok();
    case SelectorOperator::kGt:
    case SelectorOperator::kLt:
      if (!node_term) return Invalid(pod, at + ": Gt/Lt only in node affinity");
      if (req.values.size() != 1 || !ParseInt(req.values[0])) {
        return Invalid(pod, at + ": Gt/Lt needs one integer value");
      }
      return Status::Ok();
  }
  return Invalid(pod, at + ": unknown operator");
}

Status CheckSelector(const PodRequest& pod, const LabelSelector& selector,
                     std::string_view where) {
  for (const SelectorRequirement& req : selector.match_expressions) {
    GORCH_RETURN_IF_ERROR(CheckRequirement(pod, req, /*node_term=*/false, where));
  }
  return Status::Ok();
}

Status CheckWeight(const PodRequest& pod, int32_t weight, std::string_view where) {
  if (weight < 1 || weight > 100) {
    return Invalid(pod, std::string(where) + ": weight " + std::to_string(weight) +
                            " outside 1..100");
  }
  return Status::Ok();
}

Status CheckAffinityTerm(const PodRequest& pod, const PodAffinityTerm& term,
                         std::string_view where) {
  if (term.topology_key.empty()) return Invalid(pod, std::string(where) + ": empty topologyKey");
  return CheckSelector(pod, term.selector, where);
}

Status CheckNodeAffinity(const PodRequest& pod) {
  for (const NodeSelectorTerm& term : pod.required_node_affinity) {
    for (const SelectorRequirement& req : term.match_expressions) {
      GORCH_RETURN_IF_ERROR(CheckRequirement(pod, req, true, "required node affinity"));
    }
  }
  for (const PreferredSchedulingTerm& pref : pod.preferred_node_affinity) {
    GORCH_RETURN_IF_ERROR(CheckWeight(pod, pref.weight, "preferred node affinity"));
    for (const SelectorRequirement& req : pref.preference.match_expressions) {
      GORCH_RETURN_IF_ERROR(CheckRequirement(pod, req, true, "preferred node affinity"));
    }
  }
  return Status::Ok();
}

Status CheckPodAffinity(const PodRequest& pod) {
  for (const PodAffinityTerm& term : pod.required_pod_affinity) {
    GORCH_RETURN_IF_ERROR(CheckAffinityTerm(pod, term, "required pod affinity"));
  }
  for (const PodAffinityTerm& term : pod.required_pod_anti_affinity) {
    GORCH_RETURN_IF_ERROR(CheckAffinityTerm(pod, term, "required pod anti-affinity"));
  }
  for (const auto* list : {&pod.preferred_pod_affinity, &pod.preferred_pod_anti_affinity}) {
    for (const WeightedPodAffinityTerm& w : *list) {
      GORCH_RETURN_IF_ERROR(CheckWeight(pod, w.weight, "preferred pod affinity"));
      GORCH_RETURN_IF_ERROR(CheckAffinityTerm(pod, w.term, "preferred pod affinity"));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidatePod(const PodRequest& pod) {
  if (pod.name.empty()) return Status::InvalidArgument("pod with an empty name");
  const ResourceList& r = pod.requests;
  if (r.cpu_millis < 0 || r.cpu_millis > kMaxQuantity) return Invalid(pod, "cpu request out of range");
  if (r.memory_bytes < 0 || r.memory_bytes > kMaxQuantity) {
    return Invalid(pod, "memory request out of range");
  }
  GORCH_RETURN_IF_ERROR(CheckNodeAffinity(pod));
  GORCH_RETURN_IF_ERROR(CheckPodAffinity(pod));
  for (const Toleration& t : pod.tolerations) {
    if (t.key.empty() && t.op != TolerationOperator::kExists) {
      return Invalid(pod, "toleration with an empty key must use operator Exists");
    }
    if (t.op == TolerationOperator::kExists && !t.value.empty()) {
      return Invalid(pod, "toleration '" + t.key + "': operator Exists takes no value");
    }
  }
  for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
    if (c.max_skew < 1) return Invalid(pod, "topology spread maxSkew must be >= 1");
    if (c.topology_key.empty()) return Invalid(pod, "topology spread: empty topologyKey");
    GORCH_RETURN_IF_ERROR(CheckSelector(pod, c.selector, "topology spread"));
  }
  for (const HostPort& p : pod.host_ports) {
    if (p.port < 1 || p.port > 65535) {
      return Invalid(pod, "host port " + std::to_string(p.port) + " outside 1..65535");
    }
  }
  return Status::Ok();
}

Status ValidateSnapshot(const ClusterSnapshot& snapshot) {
  std::set<std::string_view> names;
  for (const NodeInfo& node : snapshot.nodes) {
    if (node.name.empty()) return Status::InvalidArgument("node with an empty name");
    if (!names.insert(node.name).second) {
      return Status::InvalidArgument("duplicate node name '" + node.name + "'");
    }
    const ResourceList& a = node.allocatable;
    if (a.cpu_millis < 0 || a.memory_bytes < 0 || node.allocatable_pods < 0 ||
        a.cpu_millis > kMaxQuantity || a.memory_bytes > kMaxQuantity) {
      return Status::InvalidArgument("node '" + node.name + "': allocatable out of range");
    }
    for (const PodRequest& pod : node.pods) {
      Status s = ValidatePod(pod);
      if (!s.ok()) return Status::InvalidArgument("node '" + node.name + "': " + s.message());
    }
  }
  return Status::Ok();
}

}  // namespace gorch::planner

// The static plugins, evaluated once per StaticClass over every node:
// NodeUnschedulable, TaintToleration (filter and PreferNoSchedule score), NodeAffinity
// (nodeSelector, required terms; preferred terms score).
#include <algorithm>

#include "scheduler_impl.h"

namespace gorch::planner::internal {

namespace {

uint64_t HashStr(uint64_t h, std::string_view s) { return HashCombine(h, Fnv1a(s)); }

uint64_t HashRequirements(uint64_t h, const std::vector<SelectorRequirement>& reqs) {
  for (const SelectorRequirement& r : reqs) {
    h = HashStr(h, r.key);
    h = HashCombine(h, static_cast<uint64_t>(r.op));
    for (const std::string& v : r.values) h = HashStr(h, v);
    h = HashCombine(h, r.values.size());
  }
  return HashCombine(h, reqs.size());
}

bool SameStaticFields(const PodRequest& a, const PodRequest& b) {
  return a.node_selector == b.node_selector &&
         a.required_node_affinity == b.required_node_affinity &&
         a.preferred_node_affinity == b.preferred_node_affinity && a.tolerations == b.tolerations;
}

uint64_t HashStaticFields(const PodRequest& pod) {
  uint64_t h = 0x5ca1ab1e;
  for (const auto& [k, v] : pod.node_selector) h = HashStr(HashStr(h, k), v);
  h = HashCombine(h, pod.node_selector.size());
  for (const NodeSelectorTerm& t : pod.required_node_affinity) {
    h = HashRequirements(h, t.match_expressions);
  }
  h = HashCombine(h, pod.required_node_affinity.size());
  for (const PreferredSchedulingTerm& t : pod.preferred_node_affinity) {
    h = HashRequirements(HashCombine(h, t.weight), t.preference.match_expressions);
  }
  h = HashCombine(h, pod.preferred_node_affinity.size());
  for (const Toleration& t : pod.tolerations) {
    h = HashStr(HashStr(h, t.key), t.value);
    h = HashCombine(h, static_cast<uint64_t>(t.op) * 8 + (t.effect ? 1 + static_cast<int>(*t.effect) : 0));
  }
  return HashCombine(h, pod.tolerations.size());
}

bool Tolerated(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const Toleration& t : tolerations) {
    if (Tolerates(t, taint)) return true;
  }
  return false;
}

// A node selector requirement compiled against the string pool.
struct NodeRequirement {
  uint32_t key;
  SelectorOperator op;
  std::vector<uint32_t> values;
  int64_t number;
};
using NodeTerm = std::vector<NodeRequirement>;

NodeTerm CompileTerm(StringPool& strings, const NodeSelectorTerm& term) {
  NodeTerm out;
  for (const SelectorRequirement& r : term.match_expressions) {
    NodeRequirement req{strings.Intern(r.key), r.op, {}, 0};
    for (const std::string& v : r.values) req.values.push_back(strings.Intern(v));
    if ((r.op == SelectorOperator::kGt || r.op == SelectorOperator::kLt) && !req.values.empty()) {
      req.number = strings.Number(req.values[0]);
    }
    out.push_back(std::move(req));
  }
  return out;
}

bool TermHolds(const ClusterIndex& index, const NodeTerm& term, uint32_t n) {
  if (term.empty()) return false;
  const StringPool& strings = index.strings();
  for (const NodeRequirement& r : term) {
    const uint32_t v = index.NodeLabel(n, r.key);
    const bool listed =
        v != kNone && std::find(r.values.begin(), r.values.end(), v) != r.values.end();
    switch (r.op) {
      case SelectorOperator::kIn: if (!listed) return false; break;
      case SelectorOperator::kNotIn: if (listed) return false; break;
      case SelectorOperator::kExists: if (v == kNone) return false; break;
      case SelectorOperator::kDoesNotExist: if (v != kNone) return false; break;
      case SelectorOperator::kGt:
      case SelectorOperator::kLt:
        if (v == kNone || !strings.IsNumber(v)) return false;
        if (r.op == SelectorOperator::kGt ? !(strings.Number(v) > r.number)
                                          : !(strings.Number(v) < r.number)) {
          return false;
        }
        break;
    }
  }
  return true;
}

// The first NoSchedule / NoExecute taint of node the pod does not tolerate.
Failure TaintFailure(const NodeInfo& node, const std::vector<Toleration>& tolerations) {
  if (node.unschedulable &&
      !Tolerated(tolerations, Taint{std::string(kUnschedulableTaintKey), "", TaintEffect::kNoSchedule})) {
    return {FailKind::kUnschedulable, 0, 0};
  }
  if (!node.ready &&
      !Tolerated(tolerations, Taint{std::string(kNotReadyTaintKey), "", TaintEffect::kNoSchedule})) {
    return {FailKind::kNotReady, 0, 0};
  }
  for (uint32_t i = 0; i < node.taints.size(); ++i) {
    const Taint& taint = node.taints[i];
    if (taint.effect == TaintEffect::kPreferNoSchedule) continue;
    if (!Tolerated(tolerations, taint)) return {FailKind::kTaint, 0, i};
  }
  return {};
}

}  // namespace

StaticClass* SchedulerImpl::ClassFor(const PodRequest& pod) {
  auto& bucket = classes_[HashStaticFields(pod)];
  for (auto& cls : bucket) {
    if (SameStaticFields(cls->key, pod)) return cls.get();
  }
  auto cls = std::make_unique<StaticClass>();
  cls->key.node_selector = pod.node_selector;
  cls->key.required_node_affinity = pod.required_node_affinity;
  cls->key.preferred_node_affinity = pod.preferred_node_affinity;
  cls->key.tolerations = pod.tolerations;
  BuildClass(cls.get());
  bucket.push_back(std::move(cls));
  return bucket.back().get();
}

void SchedulerImpl::BuildClass(StaticClass* cls) {
  StringPool& strings = index_.strings();
  const PodRequest& pod = cls->key;
  std::vector<std::pair<uint32_t, uint32_t>> selector;
  for (const auto& [k, v] : pod.node_selector) {
    selector.emplace_back(strings.Intern(k), strings.Intern(v));
  }
  std::vector<NodeTerm> required;
  for (const NodeSelectorTerm& t : pod.required_node_affinity) {
    required.push_back(CompileTerm(strings, t));
  }
  std::vector<std::pair<int32_t, NodeTerm>> preferred;
  for (const PreferredSchedulingTerm& t : pod.preferred_node_affinity) {
    preferred.emplace_back(t.weight, CompileTerm(strings, t.preference));
  }
  const size_t count = index_.node_count();
  cls->affinity_match.assign(count, 0);
  cls->static_failure.assign(count, Failure{});
  for (uint32_t n = 0; n < count; ++n) {
    bool match = std::all_of(selector.begin(), selector.end(),
                             [&](const auto& kv) { return index_.NodeLabel(n, kv.first) == kv.second; });
    if (match && !required.empty()) {
      match = std::any_of(required.begin(), required.end(),
                          [&](const NodeTerm& t) { return TermHolds(index_, t, n); });
    }
    cls->affinity_match[n] = match ? 1 : 0;
    // Kubernetes' filter order: NodeUnschedulable, TaintToleration, NodeAffinity.
    Failure fail = TaintFailure(index_.node(n), pod.tolerations);
    if (fail.kind == FailKind::kNone && !match) fail.kind = FailKind::kNodeAffinity;
    cls->static_failure[n] = fail;
    if (fail.kind != FailKind::kNone) continue;

    cls->eligible.push_back(n);
    int32_t affinity = 0;
    for (const auto& [weight, term] : preferred) {
      if (TermHolds(index_, term, n)) affinity += weight;
    }
    int32_t intolerable = 0;
    for (const Taint& taint : index_.node(n).taints) {
      if (taint.effect == TaintEffect::kPreferNoSchedule && !Tolerated(pod.tolerations, taint)) {
        ++intolerable;
      }
    }
    cls->node_affinity_raw.push_back(affinity);
    cls->taint_raw.push_back(intolerable);
    cls->has_node_affinity_score |= affinity != 0;
    cls->has_taint_score |= intolerable != 0;
  }
}

const std::map<std::string, int32_t>& SchedulerImpl::StaticReasons(StaticClass* cls) {
  if (cls->static_reasons_ready) return cls->static_reasons;
  for (uint32_t n = 0; n < cls->static_failure.size(); ++n) {
    const Failure& fail = cls->static_failure[n];
    if (fail.kind == FailKind::kNone) continue;
    for (std::string& text : ReasonTexts(fail, ctx_, n)) ++cls->static_reasons[text];
  }
  cls->static_reasons_ready = true;
  return cls->static_reasons;
}

}  // namespace gorch::planner::internal

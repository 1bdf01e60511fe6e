// Pod shapes (the compiled form of a pod's constraints, shared by pods that differ
// only in name, labels, requests and ports), per-pod contexts, and binding.
#include <algorithm>

#include "scheduler_impl.h"

namespace gorch::planner::internal {

namespace {

uint64_t HashStr(uint64_t h, std::string_view s) { return HashCombine(h, Fnv1a(s)); }

uint64_t HashSelector(uint64_t h, const LabelSelector& sel) {
  for (const auto& [k, v] : sel.match_labels) h = HashStr(HashStr(h, k), v);
  for (const SelectorRequirement& r : sel.match_expressions) {
    h = HashCombine(HashStr(h, r.key), static_cast<uint64_t>(r.op));
    for (const std::string& v : r.values) h = HashStr(h, v);
  }
  return HashCombine(h, sel.match_labels.size() * 31 + sel.match_expressions.size());
}

uint64_t HashTerm(uint64_t h, const PodAffinityTerm& term) {
  h = HashSelector(HashStr(h, term.topology_key), term.selector);
  for (const std::string& ns : term.namespaces) h = HashStr(h, ns);
  return HashCombine(h, term.namespaces.size());
}

// Hash of the fields a shape is keyed on (all but name, labels, requests, ports).
uint64_t HashShapeFields(const PodRequest& pod) {
  uint64_t h = HashStr(0x5eed, pod.namespace_);
  for (const auto& [k, v] : pod.node_selector) h = HashStr(HashStr(h, k), v);
  h = HashCombine(h, pod.required_node_affinity.size() * 7 + pod.preferred_node_affinity.size());
  for (const Toleration& t : pod.tolerations) h = HashStr(HashStr(h, t.key), t.value);
  h = HashCombine(h, pod.tolerations.size());
  for (const PodAffinityTerm& t : pod.required_pod_affinity) h = HashTerm(h, t);
  h = HashCombine(h, pod.required_pod_affinity.size());
  for (const PodAffinityTerm& t : pod.required_pod_anti_affinity) h = HashTerm(h, t);
  h = HashCombine(h, pod.required_pod_anti_affinity.size());
  for (const auto* list : {&pod.preferred_pod_affinity, &pod.preferred_pod_anti_affinity}) {
    for (const WeightedPodAffinityTerm& t : *list) h = HashTerm(HashCombine(h, t.weight), t.term);
    h = HashCombine(h, list->size());
  }
  for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
    h = HashSelector(HashStr(h, c.topology_key), c.selector);
    h = HashCombine(h, c.max_skew * 2 + static_cast<int>(c.when_unsatisfiable));
  }
  return HashCombine(h, pod.topology_spread_constraints.size());
}

bool SameShapeFields(const PodRequest& a, const PodRequest& b) {
  return a.namespace_ == b.namespace_ && a.node_selector == b.node_selector &&
         a.required_node_affinity == b.required_node_affinity &&
         a.preferred_node_affinity == b.preferred_node_affinity &&
         a.tolerations == b.tolerations &&
         a.required_pod_affinity == b.required_pod_affinity &&
         a.required_pod_anti_affinity == b.required_pod_anti_affinity &&
         a.preferred_pod_affinity == b.preferred_pod_affinity &&
         a.preferred_pod_anti_affinity == b.preferred_pod_anti_affinity &&
         a.topology_spread_constraints == b.topology_spread_constraints;
}

}  // namespace

PodShape* SchedulerImpl::ShapeFor(const PodRequest& pod) {
  auto& bucket = shapes_[HashShapeFields(pod)];
  for (auto& shape : bucket) {
    if (SameShapeFields(shape->key, pod)) return shape.get();
  }
  auto shape = std::make_unique<PodShape>();
  shape->key = pod;
  shape->key.name.clear();
  shape->key.labels.clear();
  shape->key.requests = {};
  shape->key.host_ports.clear();
  BuildShape(shape.get());
  bucket.push_back(std::move(shape));
  return bucket.back().get();
}

namespace {

// The namespace set a pod affinity term applies to.
uint32_t TermNamespaces(ClusterIndex& index, const PodAffinityTerm& term, uint32_t own_ns) {
  std::vector<uint32_t> ids;
  for (const std::string& ns : term.namespaces) ids.push_back(index.strings().Intern(ns));
  if (ids.empty()) ids.push_back(own_ns);
  return index.InternNamespaces(std::move(ids));
}

}  // namespace

void SchedulerImpl::BuildShape(PodShape* shape) {
  const PodRequest& pod = shape->key;
  StringPool& strings = index_.strings();
  shape->cls = ClassFor(pod);
  shape->ns = strings.Intern(pod.namespace_);
  for (const PodAffinityTerm& term : pod.required_pod_affinity) {
    const uint32_t sel = index_.InternSelector(term.selector);
    shape->affinity.push_back(
        index_.Counter(sel, TermNamespaces(index_, term, shape->ns), strings.Intern(term.topology_key), nullptr));
  }
  for (const PodAffinityTerm& term : pod.required_pod_anti_affinity) {
    const uint32_t sel = index_.InternSelector(term.selector);
    const uint32_t nss = TermNamespaces(index_, term, shape->ns);
    const uint32_t key = strings.Intern(term.topology_key);
    shape->anti.push_back(index_.Counter(sel, nss, key, nullptr));
    shape->owner_groups.push_back(index_.AntiGroup(sel, nss, key));
  }
  for (const auto* list : {&pod.preferred_pod_affinity, &pod.preferred_pod_anti_affinity}) {
    const int32_t sign = list == &pod.preferred_pod_affinity ? 1 : -1;
    for (const WeightedPodAffinityTerm& w : *list) {
      const uint32_t sel = index_.InternSelector(w.term.selector);
      const uint32_t nss = TermNamespaces(index_, w.term, shape->ns);
      const uint32_t key = strings.Intern(w.term.topology_key);
      shape->preferred.push_back({index_.Counter(sel, nss, key, nullptr), sign * w.weight});
    }
  }
  // Spread counts pods on the nodes that pass the pod's node affinity and carry every
  // topology key of the constraints of the same kind (hard or soft), as Kubernetes.
  const uint32_t own_ns = index_.InternNamespaces({shape->ns});
  for (WhenUnsatisfiable kind : {WhenUnsatisfiable::kDoNotSchedule, WhenUnsatisfiable::kScheduleAnyway}) {
    std::vector<uint32_t> keys;
    for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
      if (c.when_unsatisfiable == kind) keys.push_back(strings.Intern(c.topology_key));
    }
    if (keys.empty()) continue;
    std::vector<uint8_t> mask = shape->cls->affinity_match;
    for (uint32_t key : keys) {
      const TopologyIndex& topo = index_.Topology(key);
      for (size_t n = 0; n < mask.size(); ++n) {
        if (topo.domain_of_node[n] < 0) mask[n] = 0;
      }
    }
    const uint8_t* interned = index_.InternMask(std::move(mask));
    auto& refs = kind == WhenUnsatisfiable::kDoNotSchedule ? shape->hard_spread : shape->soft_spread;
    for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
      if (c.when_unsatisfiable != kind) continue;
      const uint32_t sel = index_.InternSelector(c.selector);
      refs.push_back({index_.Counter(sel, own_ns, strings.Intern(c.topology_key), interned), c.max_skew});
    }
  }
}

void SchedulerImpl::BuildContext(const PodRequest& pod, PodContext* ctx) {
  ctx->pod = &pod;
  ctx->shape = ShapeFor(pod);
  ctx->cpu = pod.requests.cpu_millis;
  ctx->memory = pod.requests.memory_bytes;
  ctx->nz_cpu = ctx->cpu == 0 ? kDefaultCpuRequest : ctx->cpu;
  ctx->nz_memory = ctx->memory == 0 ? kDefaultMemoryRequest : ctx->memory;
  ctx->request_class = request_classes_
                           .emplace(std::make_pair(ctx->cpu, ctx->memory),
                                    static_cast<uint32_t>(request_classes_.size()))
                           .first->second;
  ctx->labels = index_.InternLabels(pod.labels);
  ctx->matching_selectors.clear();
  index_.MatchingSelectors(ctx->labels, &ctx->matching_selectors);
  ctx->existing_anti.clear();
  for (uint32_t s : ctx->matching_selectors) {
    for (uint32_t g : index_.selector(s).anti_groups) {
      DomainCounter* group = index_.anti_group(g);
      if (index_.InNamespaces(group->namespaces, ctx->shape->ns)) ctx->existing_anti.push_back(group);
    }
  }
  ctx->affinity_bootstrap = !ctx->shape->affinity.empty();
  for (const DomainCounter* c : ctx->shape->affinity) {
    if (c->total > 0 || !index_.InNamespaces(c->namespaces, ctx->shape->ns) ||
        !MatchesPod(index_.selector(c->selector).sel, ctx->labels)) {
      ctx->affinity_bootstrap = false;
    }
  }
  ctx->self_match.clear();
  for (const SpreadRef& ref : ctx->shape->hard_spread) {
    ctx->self_match.push_back(MatchesPod(index_.selector(ref.counter->selector).sel, ctx->labels) ? 1 : 0);
  }
}

void SchedulerImpl::Bind(const PodContext& ctx, uint32_t n) {
  NodeState& state = nodes_[n];
  state.memo_request = kNone;
  state.req_cpu += ctx.cpu;
  state.req_memory += ctx.memory;
  state.nz_cpu += ctx.nz_cpu;
  state.nz_memory += ctx.nz_memory;
  ++state.pods;
  for (const HostPort& p : ctx.pod->host_ports) ports_[n].push_back(p);
  index_.RecordPod(ctx.shape->ns, ctx.labels, n, ctx.matching_selectors, ctx.shape->owner_groups);
}

void SchedulerImpl::BindExisting(const PodRequest& pod, uint32_t n) {
  StringPool& strings = index_.strings();
  const int64_t cpu = pod.requests.cpu_millis, memory = pod.requests.memory_bytes;
  NodeState& state = nodes_[n];
  state.memo_request = kNone;
  state.req_cpu += cpu;
  state.req_memory += memory;
  state.nz_cpu += cpu == 0 ? kDefaultCpuRequest : cpu;
  state.nz_memory += memory == 0 ? kDefaultMemoryRequest : memory;
  ++state.pods;
  for (const HostPort& p : pod.host_ports) ports_[n].push_back(p);
  const uint32_t ns = strings.Intern(pod.namespace_);
  std::vector<DomainCounter*> groups;
  for (const PodAffinityTerm& term : pod.required_pod_anti_affinity) {
    groups.push_back(index_.AntiGroup(index_.InternSelector(term.selector),
                                      TermNamespaces(index_, term, ns),
                                      strings.Intern(term.topology_key)));
  }
  // Counters are created lazily and filled from recorded pods, so none needs
  // updating here (none exists before the first pod is scheduled).
  index_.RecordPod(ns, index_.InternLabels(pod.labels), n, {}, groups);
}

}  // namespace gorch::planner::internal

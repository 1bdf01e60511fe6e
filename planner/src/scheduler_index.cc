#include "scheduler_index.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace gorch::planner::internal {

uint64_t Fnv1a(std::string_view s, uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint32_t StringPool::Intern(std::string_view s) {
  auto it = ids_.find(s);
  if (it != ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(s);
  ids_.emplace(std::string(s), id);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const bool numeric = !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
  number_.push_back(numeric ? v : 0);
  is_number_.push_back(numeric ? 1 : 0);
  return id;
}

uint32_t StringPool::Find(std::string_view s) const {
  auto it = ids_.find(s);
  return it == ids_.end() ? kNone : it->second;
}

namespace {

// Value id of key in labels (sorted by key id), or kNone.
uint32_t LookUp(const LabelPairs& labels, uint32_t key) {
  for (const auto& [k, v] : labels) {
    if (k == key) return v;
  }
  return kNone;
}

bool Contains(const std::vector<uint32_t>& sorted, uint32_t v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

void AppendU32(std::string* out, uint32_t v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

bool MatchesPod(const CompiledSelector& sel, const LabelPairs& labels) {
  for (const CompiledRequirement& req : sel.reqs) {
    const uint32_t v = LookUp(labels, req.key);
    switch (req.op) {
      case SelectorOperator::kIn:
        if (v == kNone || !Contains(req.values, v)) return false;
        break;
      case SelectorOperator::kNotIn:
        if (v != kNone && Contains(req.values, v)) return false;
        break;
      case SelectorOperator::kExists:
        if (v == kNone) return false;
        break;
      case SelectorOperator::kDoesNotExist:
        if (v != kNone) return false;
        break;
      case SelectorOperator::kGt:
      case SelectorOperator::kLt:
        return false;  // rejected by validation for pod selectors
    }
  }
  return true;
}

void DomainCounter::Init(int32_t num_domains, size_t num_nodes) {
  counts.assign(num_domains, 0);
  eligible.assign(num_domains, 0);
  int32_t eligible_count = 0;
  for (size_t n = 0; n < num_nodes; ++n) {
    const int32_t d = domain_of_node[n];
    if (d < 0 || (mask != nullptr && mask[n] == 0) || eligible[d]) continue;
    eligible[d] = 1;
    ++eligible_count;
  }
  histogram.assign(2, 0);
  histogram[0] = eligible_count;
  min = 0;
}

ClusterIndex::ClusterIndex(const ClusterSnapshot& snapshot) {
  nodes_.reserve(snapshot.nodes.size());
  for (const NodeInfo& in : snapshot.nodes) {
    NodeInfo& node = nodes_.emplace_back();  // everything but the bound pods
    node.name = in.name;
    node.allocatable = in.allocatable;
    node.allocatable_pods = in.allocatable_pods;
    node.labels = in.labels;
    node.taints = in.taints;
    node.unschedulable = in.unschedulable;
    node.ready = in.ready;
    node.labels.emplace(std::string(kHostnameLabel), node.name);
  }
  for (uint32_t n = 0; n < nodes_.size(); ++n) {
    for (const auto& [key, value] : nodes_[n].labels) {
      auto& column = label_columns_[strings_.Intern(key)];
      if (column.empty()) column.assign(nodes_.size(), kNone);
      column[n] = strings_.Intern(value);
    }
  }
}

const TopologyIndex& ClusterIndex::Topology(uint32_t key) {
  auto& slot = topologies_[key];
  if (slot) return *slot;
  slot = std::make_unique<TopologyIndex>();
  slot->key = key;
  slot->domain_of_node.assign(nodes_.size(), -1);
  auto it = label_columns_.find(key);
  if (it != label_columns_.end()) {
    std::unordered_map<uint32_t, int32_t> domain_of_value;
    for (size_t n = 0; n < nodes_.size(); ++n) {
      const uint32_t v = it->second[n];
      if (v == kNone) continue;
      auto [pos, inserted] = domain_of_value.emplace(v, slot->num_domains);
      if (inserted) ++slot->num_domains;
      slot->domain_of_node[n] = pos->second;
    }
  }
  return *slot;
}

LabelPairs ClusterIndex::InternLabels(const LabelMap& labels) {
  LabelPairs out;
  out.reserve(labels.size());
  for (const auto& [key, value] : labels) {
    out.emplace_back(strings_.Intern(key), strings_.Intern(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

uint32_t ClusterIndex::InternNamespaces(std::vector<uint32_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string key;
  for (uint32_t id : ids) AppendU32(&key, id);
  auto [it, inserted] = namespace_set_ids_.emplace(key, namespace_sets_.size());
  if (inserted) namespace_sets_.push_back(std::move(ids));
  return it->second;
}

bool ClusterIndex::InNamespaces(uint32_t set, uint32_t ns) const {
  return Contains(namespace_sets_[set], ns);
}

uint32_t ClusterIndex::InternSelector(const LabelSelector& selector) {
  CompiledSelector sel;
  for (const auto& [key, value] : selector.match_labels) {
    sel.reqs.push_back({strings_.Intern(key), SelectorOperator::kIn, {strings_.Intern(value)}, 0});
  }
  for (const SelectorRequirement& r : selector.match_expressions) {
    CompiledRequirement req{strings_.Intern(r.key), r.op, {}, 0};
    for (const std::string& v : r.values) req.values.push_back(strings_.Intern(v));
    std::sort(req.values.begin(), req.values.end());
    req.values.erase(std::unique(req.values.begin(), req.values.end()), req.values.end());
    sel.reqs.push_back(std::move(req));
  }
  auto order = [](const CompiledRequirement& a, const CompiledRequirement& b) {
    return std::tie(a.key, a.op, a.values) < std::tie(b.key, b.op, b.values);
  };
  std::sort(sel.reqs.begin(), sel.reqs.end(), order);
  std::string canonical;
  for (const CompiledRequirement& req : sel.reqs) {
    AppendU32(&canonical, req.key);
    AppendU32(&canonical, static_cast<uint32_t>(req.op));
    AppendU32(&canonical, static_cast<uint32_t>(req.values.size()));
    for (uint32_t v : req.values) AppendU32(&canonical, v);
    if (sel.index_label == kNoIndex && req.op == SelectorOperator::kIn && req.values.size() == 1) {
      sel.index_label = LabelKey(req.key, req.values[0]);
    }
  }
  auto [it, inserted] = selector_ids_.emplace(canonical, selectors_.size());
  if (!inserted) return it->second;
  const uint32_t id = it->second;
  if (sel.index_label == kNoIndex) {
    unindexed_selectors_.push_back(id);
  } else {
    selectors_by_label_[sel.index_label].push_back(id);
  }
  selectors_.push_back(SelectorEntry{std::move(sel), {}, {}});
  return id;
}

const uint8_t* ClusterIndex::InternMask(std::vector<uint8_t> mask) {
  const uint64_t h = Fnv1a(std::string_view(reinterpret_cast<const char*>(mask.data()), mask.size()));
  auto& ids = mask_ids_[h];
  for (uint32_t id : ids) {
    if (*masks_[id] == mask) return masks_[id]->data();
  }
  ids.push_back(static_cast<uint32_t>(masks_.size()));
  masks_.push_back(std::make_unique<std::vector<uint8_t>>(std::move(mask)));
  return masks_.back()->data();
}

DomainCounter* ClusterIndex::Counter(uint32_t selector, uint32_t namespaces, uint32_t key,
                                     const uint8_t* mask) {
  std::string k;
  AppendU32(&k, selector);
  AppendU32(&k, namespaces);
  AppendU32(&k, key);
  k.append(reinterpret_cast<const char*>(&mask), sizeof mask);
  auto [it, inserted] = counter_ids_.emplace(k, counters_.size());
  if (!inserted) return counters_[it->second].get();
  const TopologyIndex& topo = Topology(key);
  auto counter = std::make_unique<DomainCounter>();
  counter->selector = selector;
  counter->namespaces = namespaces;
  counter->key = key;
  counter->domain_of_node = topo.domain_of_node.data();
  counter->mask = mask;
  counter->Init(topo.num_domains, nodes_.size());
  FillCounter(counter.get());
  selectors_[selector].counters.push_back(it->second);
  counters_.push_back(std::move(counter));
  return counters_.back().get();
}

void ClusterIndex::FillCounter(DomainCounter* counter) {
  const CompiledSelector& sel = selectors_[counter->selector].sel;
  auto consider = [&](const PodRecord& pod) {
    if (InNamespaces(counter->namespaces, pod.ns) && MatchesPod(sel, pod.labels)) {
      counter->Add(pod.node);
    }
  };
  if (sel.index_label == kNoIndex) {
    for (const PodRecord& pod : pods_) consider(pod);
    return;
  }
  auto it = pods_by_label_.find(sel.index_label);
  if (it == pods_by_label_.end()) return;
  for (uint32_t p : it->second) consider(pods_[p]);
}

DomainCounter* ClusterIndex::AntiGroup(uint32_t selector, uint32_t namespaces, uint32_t key) {
  std::string k;
  AppendU32(&k, selector);
  AppendU32(&k, namespaces);
  AppendU32(&k, key);
  auto [it, inserted] = anti_group_ids_.emplace(k, anti_groups_.size());
  if (!inserted) return anti_groups_[it->second].get();
  const TopologyIndex& topo = Topology(key);
  auto group = std::make_unique<DomainCounter>();
  group->selector = selector;
  group->namespaces = namespaces;
  group->key = key;
  group->domain_of_node = topo.domain_of_node.data();
  group->Init(topo.num_domains, nodes_.size());
  selectors_[selector].anti_groups.push_back(it->second);
  anti_groups_.push_back(std::move(group));
  return anti_groups_.back().get();
}

void ClusterIndex::MatchingSelectors(const LabelPairs& labels, std::vector<uint32_t>* out) const {
  for (const auto& [key, value] : labels) {
    auto it = selectors_by_label_.find(LabelKey(key, value));
    if (it == selectors_by_label_.end()) continue;
    for (uint32_t s : it->second) {
      if (MatchesPod(selectors_[s].sel, labels)) out->push_back(s);
    }
  }
  for (uint32_t s : unindexed_selectors_) {
    if (MatchesPod(selectors_[s].sel, labels)) out->push_back(s);
  }
}

void ClusterIndex::RecordPod(uint32_t ns, LabelPairs labels, uint32_t n,
                             const std::vector<uint32_t>& matching,
                             const std::vector<DomainCounter*>& groups) {
  for (uint32_t s : matching) {
    for (uint32_t c : selectors_[s].counters) {
      DomainCounter* counter = counters_[c].get();
      if (InNamespaces(counter->namespaces, ns)) counter->Add(n);
    }
  }
  for (DomainCounter* group : groups) group->Add(n);
  const uint32_t id = static_cast<uint32_t>(pods_.size());
  for (const auto& [key, value] : labels) pods_by_label_[LabelKey(key, value)].push_back(id);
  pods_.push_back(PodRecord{ns, n, std::move(labels)});
}

}  // namespace gorch::planner::internal

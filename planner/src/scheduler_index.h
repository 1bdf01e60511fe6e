// Internal: the indexed form of a cluster the scheduler works on. Strings are interned
// to dense ids; node labels are columns (one value id per node per key); topology
// keys map nodes to dense domain numbers; label selectors are compiled and indexed by
// one of their labels so a placed pod finds the counters it must bump without
// scanning them all. Counters (pods matching a selector per topology domain) are
// created on first use and kept up to date incrementally as pods are bound.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gorch/planner/scheduler_model.h"

namespace gorch::planner::internal {

inline constexpr uint32_t kNone = 0xffffffffu;

// FNV-1a over bytes, and a 64-bit finalizer (splitmix64) to mix values.
uint64_t Fnv1a(std::string_view s, uint64_t h = 14695981039346656037ull);
uint64_t Mix64(uint64_t x);
inline uint64_t HashCombine(uint64_t h, uint64_t v) { return Mix64(h ^ (v + 0x9e3779b97f4a7c15ull)); }

class StringPool {
 public:
  uint32_t Intern(std::string_view s);
  uint32_t Find(std::string_view s) const;  // kNone when never interned
  const std::string& Name(uint32_t id) const { return names_[id]; }
  // The string parsed as a whole int64, if it is one.
  bool IsNumber(uint32_t id) const { return is_number_[id] != 0; }
  int64_t Number(uint32_t id) const { return number_[id]; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return Fnv1a(s); }
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
  std::vector<int64_t> number_;
  std::vector<uint8_t> is_number_;
};

// (key id, value id) pairs sorted by key id.
using LabelPairs = std::vector<std::pair<uint32_t, uint32_t>>;
inline uint64_t LabelKey(uint32_t key, uint32_t value) { return (uint64_t{key} << 32) | value; }

struct CompiledRequirement {
  uint32_t key = kNone;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<uint32_t> values;  // sorted ids (In / NotIn)
  int64_t number = 0;            // Gt / Lt
};

// A compiled pod label selector (matchLabels become In with one value).
struct CompiledSelector {
  std::vector<CompiledRequirement> reqs;  // sorted by (key, op, values)
  // A label every matching pod must carry, or kNoIndex.
  uint64_t index_label = ~uint64_t{0};
};
inline constexpr uint64_t kNoIndex = ~uint64_t{0};

bool MatchesPod(const CompiledSelector& sel, const LabelPairs& labels);

// Node -> domain number for one topology key (-1: the node lacks the key).
struct TopologyIndex {
  uint32_t key = kNone;
  std::vector<int32_t> domain_of_node;
  int32_t num_domains = 0;
};

// Pods counted per topology domain. Counts only grow (pods are only bound), so the
// minimum over the eligible domains is kept exactly with a histogram of counts.
struct DomainCounter {
  uint32_t selector = kNone;   // which pods count (kNone for anti-affinity owner groups)
  uint32_t namespaces = kNone; // namespace set id
  uint32_t key = kNone;        // topology key id
  const int32_t* domain_of_node = nullptr;
  const uint8_t* mask = nullptr;  // nodes whose pods count; null: every node
  std::vector<int32_t> counts;    // per domain
  std::vector<uint8_t> eligible;  // per domain: holds a node in mask
  std::vector<int32_t> histogram; // eligible domains per count value
  int32_t min = 0;                // min count over eligible domains (0 if none)
  int64_t total = 0;              // pods counted, over all domains

  void Init(int32_t num_domains, size_t num_nodes);
  // A counted pod was bound to node n.
  void Add(uint32_t n) {
    const int32_t d = domain_of_node[n];
    if (d < 0 || (mask != nullptr && mask[n] == 0)) return;
    const int32_t c = counts[d]++;
    ++total;
    if (!eligible[d]) return;
    if (static_cast<size_t>(c) + 1 >= histogram.size()) histogram.resize(c + 2, 0);
    --histogram[c];
    ++histogram[c + 1];
    while (histogram[min] == 0) ++min;
  }
  int32_t CountAt(uint32_t n) const {
    const int32_t d = domain_of_node[n];
    return d < 0 ? 0 : counts[d];
  }
};

struct SelectorEntry {
  CompiledSelector sel;
  std::vector<uint32_t> counters;     // DomainCounters counting pods it matches
  std::vector<uint32_t> anti_groups;  // required anti-affinity owner groups using it
};

struct PodRecord {
  uint32_t ns = kNone;
  uint32_t node = kNone;
  LabelPairs labels;
};

// Everything indexed; owned by SchedulerImpl. Pointers handed out (TopologyIndex,
// masks, counters) stay valid for the index's lifetime.
class ClusterIndex {
 public:
  explicit ClusterIndex(const ClusterSnapshot& snapshot);

  StringPool& strings() { return strings_; }
  const StringPool& strings() const { return strings_; }
  size_t node_count() const { return nodes_.size(); }
  const NodeInfo& node(uint32_t n) const { return nodes_[n]; }

  // Value id of node n's label key, or kNone.
  uint32_t NodeLabel(uint32_t n, uint32_t key) const {
    auto it = label_columns_.find(key);
    return it == label_columns_.end() ? kNone : it->second[n];
  }
  const TopologyIndex& Topology(uint32_t key);

  LabelPairs InternLabels(const LabelMap& labels);
  uint32_t InternNamespaces(std::vector<uint32_t> ids);  // sorted, deduplicated inside
  bool InNamespaces(uint32_t set, uint32_t ns) const;
  uint32_t InternSelector(const LabelSelector& selector);
  const SelectorEntry& selector(uint32_t id) const { return selectors_[id]; }
  DomainCounter* anti_group(uint32_t id) { return anti_groups_[id].get(); }
  // A node mask (one byte per node) by content; returns a stable pointer.
  const uint8_t* InternMask(std::vector<uint8_t> mask);

  // The counter of pods matching selector in namespaces, per domain of key, among
  // nodes in mask (null: all); created and filled from bound pods on first use.
  DomainCounter* Counter(uint32_t selector, uint32_t namespaces, uint32_t key,
                         const uint8_t* mask);
  // The owner group of a required anti-affinity term (pods declaring it, per domain).
  DomainCounter* AntiGroup(uint32_t selector, uint32_t namespaces, uint32_t key);

  // Appends to out the selectors that pod (labels, ns irrelevant here) matches.
  void MatchingSelectors(const LabelPairs& labels, std::vector<uint32_t>* out) const;

  // Records a pod bound to node n: counters of matching selectors (those listed in
  // matching) grow, as do the owner groups in groups.
  void RecordPod(uint32_t ns, LabelPairs labels, uint32_t n,
                 const std::vector<uint32_t>& matching,
                 const std::vector<DomainCounter*>& groups);

  const std::vector<PodRecord>& pods() const { return pods_; }

 private:
  void FillCounter(DomainCounter* counter);

  std::vector<NodeInfo> nodes_;  // hostname label added, pods dropped
  StringPool strings_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> label_columns_;
  std::unordered_map<uint32_t, std::unique_ptr<TopologyIndex>> topologies_;

  std::vector<std::vector<uint32_t>> namespace_sets_;
  std::unordered_map<std::string, uint32_t> namespace_set_ids_;

  std::vector<SelectorEntry> selectors_;
  std::unordered_map<std::string, uint32_t> selector_ids_;  // canonical bytes -> id
  std::unordered_map<uint64_t, std::vector<uint32_t>> selectors_by_label_;
  std::vector<uint32_t> unindexed_selectors_;

  std::vector<std::unique_ptr<std::vector<uint8_t>>> masks_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> mask_ids_;  // content hash -> ids

  std::vector<std::unique_ptr<DomainCounter>> counters_;
  std::vector<std::unique_ptr<DomainCounter>> anti_groups_;
  std::unordered_map<std::string, uint32_t> counter_ids_;
  std::unordered_map<std::string, uint32_t> anti_group_ids_;

  std::vector<PodRecord> pods_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> pods_by_label_;
};

}  // namespace gorch::planner::internal

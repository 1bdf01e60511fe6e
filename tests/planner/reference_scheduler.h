// A deliberately simple scheduler used as the oracle in property tests: every filter
// and score is recomputed from scratch from the node's pod lists, with plain integer
// division and no indexes, caches or sampling. It implements the rules written in
// docs/scheduler.md, independently of the library's optimized code (it shares only
// the model helpers Matches / Tolerates and NodeTieBreakKey).
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gorch/planner/scheduler.h"

namespace gorch::planner::testing {

class ReferenceScheduler {
 public:
  ReferenceScheduler(ClusterSnapshot snapshot, SchedulerOptions options)
      : snap_(std::move(snapshot)), options_(options) {
    for (NodeInfo& node : snap_.nodes) {
      node.labels.emplace(std::string(kHostnameLabel), node.name);
    }
  }

  struct Result {
    int node = -1;
    int64_t total = 0;
  };

  // Places pod on the best node (full scan) and binds it.
  Result ScheduleOne(const PodRequest& pod) {
    std::vector<int> feasible;
    for (int n = 0; n < static_cast<int>(snap_.nodes.size()); ++n) {
      if (Feasible(n, pod)) feasible.push_back(n);
    }
    if (feasible.empty()) return {};
    std::vector<int64_t> totals = Totals(feasible, pod);
    size_t best = 0;
    for (size_t i = 1; i < feasible.size(); ++i) {
      if (Better(totals[i], feasible[i], totals[best], feasible[best])) best = i;
    }
    snap_.nodes[feasible[best]].pods.push_back(pod);
    return {feasible[best], totals[best]};
  }

  // Binds pod to node n without checks (to replay another scheduler's choices).
  void Bind(int n, const PodRequest& pod) { snap_.nodes[n].pods.push_back(pod); }

  // Every required constraint of pod holds on node n given what is bound now.
  bool Feasible(int n, const PodRequest& pod) const {
    const NodeInfo& node = snap_.nodes[n];
    if (!StaticFeasible(node, pod)) return false;
    if (!PortsFree(node, pod) || !ResourcesFit(node, pod)) return false;
    return SpreadHolds(n, pod) && AffinityHolds(n, pod) && AntiAffinityHolds(n, pod);
  }

  const ClusterSnapshot& snapshot() const { return snap_; }

  static bool AffinityMatches(const NodeInfo& node, const PodRequest& pod) {
    for (const auto& [k, v] : pod.node_selector) {
      auto it = node.labels.find(k);
      if (it == node.labels.end() || it->second != v) return false;
    }
    if (pod.required_node_affinity.empty()) return true;
    for (const NodeSelectorTerm& t : pod.required_node_affinity) {
      if (Matches(t, node.labels)) return true;
    }
    return false;
  }

 private:
  static bool Tolerated(const PodRequest& pod, const Taint& taint) {
    for (const Toleration& t : pod.tolerations) {
      if (Tolerates(t, taint)) return true;
    }
    return false;
  }

  static bool StaticFeasible(const NodeInfo& node, const PodRequest& pod) {
    if (node.unschedulable &&
        !Tolerated(pod, {std::string(kUnschedulableTaintKey), "", TaintEffect::kNoSchedule})) {
      return false;
    }
    if (!node.ready && !Tolerated(pod, {std::string(kNotReadyTaintKey), "", TaintEffect::kNoSchedule})) {
      return false;
    }
    for (const Taint& taint : node.taints) {
      if (taint.effect != TaintEffect::kPreferNoSchedule && !Tolerated(pod, taint)) return false;
    }
    return AffinityMatches(node, pod);
  }

  static bool PortsFree(const NodeInfo& node, const PodRequest& pod) {
    auto wild = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0"; };
    for (const PodRequest& other : node.pods) {
      for (const HostPort& a : other.host_ports) {
        for (const HostPort& b : pod.host_ports) {
          if (a.port == b.port && a.protocol == b.protocol &&
              (wild(a.host_ip) || wild(b.host_ip) || a.host_ip == b.host_ip)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  static bool ResourcesFit(const NodeInfo& node, const PodRequest& pod) {
    int64_t cpu = 0, mem = 0;
    for (const PodRequest& p : node.pods) {
      cpu += p.requests.cpu_millis;
      mem += p.requests.memory_bytes;
    }
    if (pod.requests.cpu_millis > 0 && cpu + pod.requests.cpu_millis > node.allocatable.cpu_millis) return false;
    if (pod.requests.memory_bytes > 0 && mem + pod.requests.memory_bytes > node.allocatable.memory_bytes) {
      return false;
    }
    return static_cast<int64_t>(node.pods.size()) + 1 <= node.allocatable_pods;
  }

  static std::optional<std::string> Label(const NodeInfo& node, const std::string& key) {
    auto it = node.labels.find(key);
    if (it == node.labels.end()) return std::nullopt;
    return it->second;
  }

  // Pods of namespace ns matching sel per value of key, over nodes where include(n).
  template <typename Include>
  std::map<std::string, int64_t> CountByDomain(const std::string& key, const LabelSelector& sel,
                                               const std::set<std::string>& namespaces,
                                               Include include) const {
    std::map<std::string, int64_t> counts;
    for (int m = 0; m < static_cast<int>(snap_.nodes.size()); ++m) {
      const NodeInfo& node = snap_.nodes[m];
      auto value = Label(node, key);
      if (!value || !include(m)) continue;
      counts[*value] += 0;  // the domain exists even with no pods
      for (const PodRequest& p : node.pods) {
        if (namespaces.count(p.namespace_) && Matches(sel, p.labels)) ++counts[*value];
      }
    }
    return counts;
  }

  // Nodes spread constraints of this kind count on: affinity holds and every key of
  // the pod's constraints of the kind is present.
  bool SpreadNode(int m, const PodRequest& pod, WhenUnsatisfiable kind) const {
    const NodeInfo& node = snap_.nodes[m];
    if (!AffinityMatches(node, pod)) return false;
    for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
      if (c.when_unsatisfiable == kind && !Label(node, c.topology_key)) return false;
    }
    return true;
  }

  bool SpreadHolds(int n, const PodRequest& pod) const {
    for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
      if (c.when_unsatisfiable != WhenUnsatisfiable::kDoNotSchedule) continue;
      auto value = Label(snap_.nodes[n], c.topology_key);
      if (!value) return false;
      auto counts = CountByDomain(c.topology_key, c.selector, {pod.namespace_}, [&](int m) {
        return SpreadNode(m, pod, WhenUnsatisfiable::kDoNotSchedule);
      });
      int64_t min = counts.empty() ? 0 : INT64_MAX;
      for (const auto& [v, count] : counts) min = std::min(min, count);
      const int64_t here = counts.count(*value) ? counts[*value] : 0;
      const int64_t self = Matches(c.selector, pod.labels) ? 1 : 0;
      if (here + self - min > c.max_skew) return false;
    }
    return true;
  }

  static std::set<std::string> TermNamespaces(const PodAffinityTerm& t, const std::string& own) {
    if (t.namespaces.empty()) return {own};
    return {t.namespaces.begin(), t.namespaces.end()};
  }

  // Pods matching term (in its namespaces) on nodes sharing n's value of the key.
  int64_t PodsInDomain(int n, const PodAffinityTerm& term, const std::string& own_ns) const {
    auto value = Label(snap_.nodes[n], term.topology_key);
    if (!value) return 0;
    auto counts = CountByDomain(term.topology_key, term.selector, TermNamespaces(term, own_ns),
                                [](int) { return true; });
    return counts[*value];
  }

  // Every required affinity term finds a pod in n's domain, unless no pod anywhere
  // matches any term and the pod matches all of them (the first of its group).
  bool AffinityHolds(int n, const PodRequest& pod) const {
    bool all_found = true;
    for (const PodAffinityTerm& term : pod.required_pod_affinity) {
      if (!Label(snap_.nodes[n], term.topology_key)) return false;
      if (PodsInDomain(n, term, pod.namespace_) == 0) all_found = false;
    }
    if (all_found) return true;
    for (const PodAffinityTerm& term : pod.required_pod_affinity) {
      auto counts = CountByDomain(term.topology_key, term.selector, TermNamespaces(term, pod.namespace_),
                                  [](int) { return true; });
      for (const auto& [value, count] : counts) {
        if (count > 0) return false;
      }
      if (!TermNamespaces(term, pod.namespace_).count(pod.namespace_) || !Matches(term.selector, pod.labels)) {
        return false;
      }
    }
    return true;
  }

  bool AntiAffinityHolds(int n, const PodRequest& pod) const {
    for (const PodAffinityTerm& term : pod.required_pod_anti_affinity) {
      if (PodsInDomain(n, term, pod.namespace_) > 0) return false;
    }
    const NodeInfo& node = snap_.nodes[n];
    for (const NodeInfo& other : snap_.nodes) {
      for (const PodRequest& q : other.pods) {
        for (const PodAffinityTerm& term : q.required_pod_anti_affinity) {
          auto here = Label(node, term.topology_key);
          auto there = Label(other, term.topology_key);
          if (here && there && *here == *there && TermNamespaces(term, q.namespace_).count(pod.namespace_) &&
              Matches(term.selector, pod.labels)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  struct Raw {
    int64_t fit = 0, balanced = 0, spread = 0, affinity = 0, inter_pod = 0, taints = 0;
    bool spread_ignored = false;
  };

  Raw RawScores(int n, const PodRequest& pod) const {
    const NodeInfo& node = snap_.nodes[n];
    Raw r;
    auto nz_cpu = [](const PodRequest& p) { return p.requests.cpu_millis == 0 ? 100 : p.requests.cpu_millis; };
    auto nz_mem = [](const PodRequest& p) {
      return p.requests.memory_bytes == 0 ? int64_t{200} * 1024 * 1024 : p.requests.memory_bytes;
    };
    int64_t cpu = nz_cpu(pod), mem = nz_mem(pod), rcpu = pod.requests.cpu_millis, rmem = pod.requests.memory_bytes;
    for (const PodRequest& p : node.pods) {
      cpu += nz_cpu(p);
      mem += nz_mem(p);
      rcpu += p.requests.cpu_millis;
      rmem += p.requests.memory_bytes;
    }
    const int64_t acpu = node.allocatable.cpu_millis, amem = node.allocatable.memory_bytes;
    if (options_.resource_scoring == ResourceScoring::kLeastAllocated) {
      auto least = [](int64_t req, int64_t alloc) { return alloc <= 0 || req > alloc ? 0 : (alloc - req) * 100 / alloc; };
      r.fit = (least(cpu, acpu) + least(mem, amem)) / 2;
    } else {
      auto most = [](int64_t req, int64_t alloc) { return alloc <= 0 ? 0 : std::min(req, alloc) * 100 / alloc; };
      r.fit = (most(cpu, acpu) + most(mem, amem)) / 2;
    }
    auto fraction = [](int64_t req, int64_t alloc) { return alloc <= 0 || req >= alloc ? 65536 : req * 65536 / alloc; };
    r.balanced = (131072 - std::abs(fraction(rcpu, acpu) - fraction(rmem, amem))) * 100 / 131072;
    for (const TopologySpreadConstraint& c : pod.topology_spread_constraints) {
      if (c.when_unsatisfiable != WhenUnsatisfiable::kScheduleAnyway) continue;
      auto value = Label(node, c.topology_key);
      if (!value) {
        r.spread_ignored = true;
        continue;
      }
      auto counts = CountByDomain(c.topology_key, c.selector, {pod.namespace_}, [&](int m) {
        return SpreadNode(m, pod, WhenUnsatisfiable::kScheduleAnyway);
      });
      r.spread += counts[*value];
    }
    for (const PreferredSchedulingTerm& t : pod.preferred_node_affinity) {
      if (Matches(t.preference, node.labels)) r.affinity += t.weight;
    }
    for (const WeightedPodAffinityTerm& t : pod.preferred_pod_affinity) {
      r.inter_pod += t.weight * PodsInDomain(n, t.term, pod.namespace_);
    }
    for (const WeightedPodAffinityTerm& t : pod.preferred_pod_anti_affinity) {
      r.inter_pod -= t.weight * PodsInDomain(n, t.term, pod.namespace_);
    }
    for (const Taint& taint : node.taints) {
      if (taint.effect == TaintEffect::kPreferNoSchedule && !Tolerated(pod, taint)) ++r.taints;
    }
    return r;
  }

  std::vector<int64_t> Totals(const std::vector<int>& feasible, const PodRequest& pod) const {
    std::vector<Raw> raw;
    for (int n : feasible) raw.push_back(RawScores(n, pod));
    int64_t smin = INT64_MAX, smax = 0, imin = INT64_MAX, imax = INT64_MIN, amax = 0, tmax = 0;
    for (const Raw& r : raw) {
      if (!r.spread_ignored) {
        smin = std::min(smin, r.spread);
        smax = std::max(smax, r.spread);
      }
      imin = std::min(imin, r.inter_pod);
      imax = std::max(imax, r.inter_pod);
      amax = std::max(amax, r.affinity);
      tmax = std::max(tmax, r.taints);
    }
    bool soft = false;
    for (const auto& c : pod.topology_spread_constraints) {
      soft |= c.when_unsatisfiable == WhenUnsatisfiable::kScheduleAnyway;
    }
    const bool preferred = !pod.preferred_pod_affinity.empty() || !pod.preferred_pod_anti_affinity.empty();
    const auto& w = options_.weights;
    std::vector<int64_t> totals;
    for (const Raw& r : raw) {
      int64_t spread = 0;
      if (soft && !r.spread_ignored) spread = smax == 0 ? 100 : 100 * (smax + smin - r.spread) / smax;
      const int64_t affinity = amax == 0 ? 0 : 100 * r.affinity / amax;
      const int64_t inter = preferred && imax > imin ? 100 * (r.inter_pod - imin) / (imax - imin) : 0;
      const int64_t taint = tmax == 0 ? 100 : 100 - 100 * r.taints / tmax;
      totals.push_back(w[ScorePlugin::kNodeResourcesFit] * r.fit +
                       w[ScorePlugin::kBalancedAllocation] * r.balanced +
                       w[ScorePlugin::kPodTopologySpread] * spread + w[ScorePlugin::kNodeAffinity] * affinity +
                       w[ScorePlugin::kInterPodAffinity] * inter + w[ScorePlugin::kTaintToleration] * taint);
    }
    return totals;
  }

  bool Better(int64_t total, int n, int64_t best_total, int best) const {
    if (total != best_total) return total > best_total;
    const uint64_t a = NodeTieBreakKey(snap_.nodes[n].name, options_.tie_break_seed);
    const uint64_t b = NodeTieBreakKey(snap_.nodes[best].name, options_.tie_break_seed);
    if (a != b) return a < b;
    return snap_.nodes[n].name < snap_.nodes[best].name;
  }

  ClusterSnapshot snap_;
  SchedulerOptions options_;
};

}  // namespace gorch::planner::testing

// Property tests over random clusters and pods from seeded generators (std::mt19937
// with fixed seeds, so failures reproduce): placements equal the exhaustive
// reference scheduler on small clusters; on larger ones (sampling on) every
// placement satisfies every required constraint at the time it is made, no node is
// over-committed, and a pod is reported unschedulable only when no node fits; hard
// spread stays within maxSkew of ideal.
#include <gtest/gtest.h>

#include <random>

#include "reference_scheduler.h"
#include "scheduler_test_util.h"

namespace gorch::planner {
namespace {

using testing::kGi;
using testing::kMi;
using testing::ReferenceScheduler;

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Int(0, static_cast<int>(v.size()) - 1)]; }

  NodeInfo RandomNode(int i) {
    NodeInfo node;
    node.name = "n" + std::to_string(i);
    node.allocatable = {Pick<int64_t>({1000, 2000, 4000, 8000}), Pick<int64_t>({2 * kGi, 4 * kGi, 8 * kGi, 16 * kGi})};
    node.allocatable_pods = Pick<int64_t>({3, 6, 110});
    if (Chance(90)) node.labels["zone"] = Pick<std::string>({"a", "b", "c"});
    if (Chance(50)) node.labels["disk"] = Pick<std::string>({"ssd", "hdd"});
    if (Chance(70)) node.labels["rack"] = Pick<std::string>({"r0", "r1", "r2", "r3"});
    node.labels["cores"] = Pick<std::string>({"2", "4", "8", "32", "lots"});
    if (Chance(15)) node.taints.push_back({"dedicated", "db", TaintEffect::kNoSchedule});
    if (Chance(5)) node.taints.push_back({"maintenance", "", TaintEffect::kNoExecute});
    if (Chance(20)) node.taints.push_back({"spot", "true", TaintEffect::kPreferNoSchedule});
    if (Chance(8)) node.taints.push_back({"old", "", TaintEffect::kPreferNoSchedule});
    node.unschedulable = Chance(5);
    node.ready = !Chance(5);
    return node;
  }

  LabelSelector AppSelector() {
    LabelSelector s;
    if (Chance(80)) {
      s.match_labels["app"] = Pick<std::string>({"web", "api", "db", "cache"});
    } else {
      s.match_expressions.push_back({"app", SelectorOperator::kIn, {"web", "api"}});
      if (Chance(50)) s.match_expressions.push_back({"tier", SelectorOperator::kDoesNotExist, {}});
    }
    return s;
  }

  PodAffinityTerm Term() {
    PodAffinityTerm t{AppSelector(), {}, Pick<std::string>({std::string(kHostnameLabel), "zone", "rack"})};
    if (Chance(15)) t.namespaces = {"default", "other"};
    return t;
  }

  NodeSelectorTerm NodeTerm() {
    using Op = SelectorOperator;
    const std::vector<SelectorRequirement> choices = {
        {"zone", Op::kIn, {"a", "b"}}, {"disk", Op::kNotIn, {"hdd"}}, {"rack", Op::kExists, {}},
        {"cores", Op::kGt, {"4"}},     {"cores", Op::kLt, {"8"}},     {"disk", Op::kDoesNotExist, {}}};
    NodeSelectorTerm t;
    for (int i = Int(1, 2); i > 0; --i) t.match_expressions.push_back(Pick(choices));
    return t;
  }

  PodRequest RandomPod(const std::string& name) {
    PodRequest p;
    p.name = name;
    p.namespace_ = Chance(80) ? "default" : "other";
    p.labels["app"] = Pick<std::string>({"web", "api", "db", "cache"});
    if (Chance(30)) p.labels["tier"] = "front";
    p.requests = {Pick<int64_t>({0, 100, 250, 500, 1000, 2000}), Pick<int64_t>({0, 128 * kMi, 512 * kMi, kGi, 4 * kGi})};
    if (Chance(15)) p.node_selector["disk"] = "ssd";
    if (Chance(15)) {
      for (int i = Int(1, 2); i > 0; --i) p.required_node_affinity.push_back(NodeTerm());
    }
    if (Chance(20)) p.preferred_node_affinity.push_back({Int(1, 100), NodeTerm()});
    if (Chance(30)) {
      p.tolerations.push_back(Pick<Toleration>({{"dedicated", TolerationOperator::kEqual, "db", TaintEffect::kNoSchedule},
                                                {"spot", TolerationOperator::kExists, "", {}},
                                                {"maintenance", TolerationOperator::kExists, "", TaintEffect::kNoExecute},
                                                {std::string(kNotReadyTaintKey), TolerationOperator::kExists, "", {}},
                                                {std::string(kUnschedulableTaintKey), TolerationOperator::kExists, "", {}}}));
    }
    if (Chance(3)) p.tolerations.push_back({"", TolerationOperator::kExists, "", {}});
    if (Chance(10)) p.required_pod_affinity.push_back(Term());
    if (Chance(15)) p.required_pod_anti_affinity.push_back(Term());
    if (Chance(15)) p.preferred_pod_affinity.push_back({Int(1, 100), Term()});
    if (Chance(15)) p.preferred_pod_anti_affinity.push_back({Int(1, 100), Term()});
    if (Chance(30)) {
      for (int i = Int(1, 2); i > 0; --i) {
        TopologySpreadConstraint c;
        c.max_skew = Int(1, 2);
        c.topology_key = Pick<std::string>({"zone", std::string(kHostnameLabel), "rack"});
        c.when_unsatisfiable = Chance(50) ? WhenUnsatisfiable::kDoNotSchedule : WhenUnsatisfiable::kScheduleAnyway;
        c.selector = Chance(70) ? testing::Selector({{"app", p.labels["app"]}}) : AppSelector();
        p.topology_spread_constraints.push_back(std::move(c));
      }
    }
    if (Chance(10)) p.host_ports.push_back({Pick<int32_t>({80, 443}), Chance(80) ? Protocol::kTCP : Protocol::kUDP, ""});
    return p;
  }

  SchedulerOptions RandomOptions() {
    SchedulerOptions o;
    o.resource_scoring = Chance(30) ? ResourceScoring::kMostAllocated : ResourceScoring::kLeastAllocated;
    o.tie_break_seed = static_cast<uint64_t>(Int(0, 1000));
    if (Chance(40)) {
      for (int32_t& w : o.weights.weight) w = Int(0, 5);
    }
    return o;
  }

 private:
  std::mt19937 rng_;
};

ClusterSnapshot RandomCluster(Gen& g, int nodes, int bound_percent) {
  ClusterSnapshot snap;
  for (int i = 0; i < nodes; ++i) snap.nodes.push_back(g.RandomNode(i));
  // Some pods already bound, placed where they fit (as a real scheduler did).
  ReferenceScheduler ref(snap, SchedulerOptions{});
  for (int i = 0; i < nodes; ++i) {
    if (!g.Chance(bound_percent)) continue;
    PodRequest p = g.RandomPod("bound-" + std::to_string(i));
    if (ref.Feasible(i, p)) {
      ref.Bind(i, p);
      snap.nodes[i].pods.push_back(p);
    }
  }
  return snap;
}

TEST(SchedulerPropertyTest, EqualsExhaustiveReferenceOnSmallClusters) {
  int placed = 0, unschedulable = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    Gen g(seed);
    ClusterSnapshot snap = RandomCluster(g, g.Int(1, 20), 30);
    SchedulerOptions options = g.RandomOptions();
    auto scheduler = Scheduler::Create(snap, options);
    ASSERT_TRUE(scheduler.ok()) << scheduler.status().ToString();
    ReferenceScheduler ref(snap, options);
    const int pods = g.Int(1, 40);
    for (int i = 0; i < pods; ++i) {
      PodRequest pod = g.RandomPod("p" + std::to_string(i));
      auto got = scheduler->ScheduleOne(pod);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      auto want = ref.ScheduleOne(pod);
      ASSERT_EQ(got->node_index, want.node) << "seed " << seed << " pod " << i << " " << got->message;
      if (want.node >= 0) {
        ASSERT_EQ(got->score.total, want.total) << "seed " << seed << " pod " << i;
        ++placed;
      } else {
        EXPECT_NE(got->message.find("0/" + std::to_string(snap.nodes.size()) + " nodes fit: "), std::string::npos);
        ++unschedulable;
      }
    }
  }
  // The generator exercises both outcomes.
  EXPECT_GT(placed, 1000);
  EXPECT_GT(unschedulable, 300);
}

// Replays placements in order against the reference's from-scratch checks.
void CheckInvariants(const ClusterSnapshot& snap, const std::vector<PodRequest>& pods,
                     const std::vector<Placement>& placements, uint32_t seed) {
  ReferenceScheduler ref(snap, SchedulerOptions{});
  int unschedulable_checked = 0;
  for (size_t i = 0; i < pods.size(); ++i) {
    const Placement& p = placements[i];
    if (p.scheduled()) {
      ASSERT_TRUE(ref.Feasible(p.node_index, pods[i])) << "seed " << seed << " pod " << i << " on " << p.node;
      ref.Bind(p.node_index, pods[i]);
    } else if (unschedulable_checked++ < 25) {
      for (int n = 0; n < static_cast<int>(snap.nodes.size()); ++n) {
        ASSERT_FALSE(ref.Feasible(n, pods[i])) << "seed " << seed << " pod " << i << " fits " << n;
      }
    }
  }
  for (const NodeInfo& node : ref.snapshot().nodes) {
    int64_t cpu = 0, mem = 0;
    for (const PodRequest& q : node.pods) {
      cpu += q.requests.cpu_millis;
      mem += q.requests.memory_bytes;
    }
    EXPECT_LE(cpu, node.allocatable.cpu_millis) << node.name;
    EXPECT_LE(mem, node.allocatable.memory_bytes) << node.name;
    EXPECT_LE(static_cast<int64_t>(node.pods.size()), node.allocatable_pods) << node.name;
  }
}

TEST(SchedulerPropertyTest, RequiredConstraintsHoldWithSamplingOnLargerClusters) {
  for (uint32_t seed = 1000; seed < 1008; ++seed) {
    Gen g(seed);
    ClusterSnapshot snap = RandomCluster(g, g.Int(150, 300), 20);
    std::vector<PodRequest> pods;
    for (int i = 0; i < 600; ++i) pods.push_back(g.RandomPod("p" + std::to_string(i)));
    SchedulerOptions options = g.RandomOptions();
    options.percentage_of_nodes_to_score = seed % 2 == 0 ? 0 : 100;
    auto placements = Schedule(snap, pods, options);
    ASSERT_TRUE(placements.ok());
    if (options.percentage_of_nodes_to_score == 0) {
      bool sampled = false;
      for (const Placement& p : *placements) sampled |= p.nodes_evaluated < static_cast<int>(snap.nodes.size()) / 2;
      EXPECT_TRUE(sampled) << "seed " << seed;
    }
    CheckInvariants(snap, pods, *placements, seed);
  }
}

TEST(SchedulerPropertyTest, HardSpreadIsWithinMaxSkewOfIdeal) {
  for (int percentage : {0, 100}) {
    for (uint32_t seed = 1; seed <= 5; ++seed) {
      Gen g(seed);
      ClusterSnapshot snap;
      for (int i = 0; i < 300; ++i) {
        snap.nodes.push_back(testing::Node("n" + std::to_string(i), g.Pick<int64_t>({4000, 8000, 16000}), 64 * kGi,
                                           {{"zone", g.Pick<std::string>({"a", "b", "c", "d"})}}));
      }
      std::vector<PodRequest> pods;
      const int replicas = g.Int(10, 200);
      for (int i = 0; i < replicas; ++i) {
        PodRequest p = testing::Pod("web-" + std::to_string(i), g.Pick<int64_t>({100, 500, 1000}), kGi, {{"app", "web"}});
        p.topology_spread_constraints.push_back(
            {1, "zone", WhenUnsatisfiable::kDoNotSchedule, testing::Selector({{"app", "web"}})});
        pods.push_back(p);
        // Other workloads in between, which neither match nor repel the web pods.
        PodRequest noise = g.RandomPod("noise-" + std::to_string(i));
        noise.labels["app"] = "noise";
        noise.required_pod_anti_affinity.clear();
        pods.push_back(noise);
      }
      SchedulerOptions options;
      options.percentage_of_nodes_to_score = percentage;
      auto placements = Schedule(snap, pods, options);
      ASSERT_TRUE(placements.ok());
      std::map<std::string, int> per_zone = {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 0}};
      for (size_t i = 0; i < pods.size(); i += 2) {
        ASSERT_TRUE((*placements)[i].scheduled()) << (*placements)[i].message;
        ++per_zone[snap.nodes[(*placements)[i].node_index].labels.at("zone")];
      }
      int lo = INT32_MAX, hi = 0;
      for (auto& [zone, count] : per_zone) {
        lo = std::min(lo, count);
        hi = std::max(hi, count);
      }
      EXPECT_LE(hi - lo, 1) << "seed " << seed << " percentage " << percentage;
    }
  }
}

TEST(SchedulerPropertyTest, SoftHostnameSpreadIsWithinOneOnUniformNodes) {
  for (uint32_t seed = 1; seed <= 5; ++seed) {
    Gen g(seed);
    ClusterSnapshot snap;
    const int nodes = g.Int(5, 30);
    for (int i = 0; i < nodes; ++i) snap.nodes.push_back(testing::Node("n" + std::to_string(i), 64000, 256 * kGi));
    std::vector<PodRequest> pods;
    const int replicas = g.Int(nodes, 4 * nodes);
    for (int i = 0; i < replicas; ++i) {
      PodRequest p = testing::Pod("web-" + std::to_string(i), 250, 512 * kMi, {{"app", "web"}});
      p.topology_spread_constraints.push_back({1, std::string(kHostnameLabel), WhenUnsatisfiable::kScheduleAnyway,
                                               testing::Selector({{"app", "web"}})});
      pods.push_back(p);
    }
    auto placements = Schedule(snap, pods);
    ASSERT_TRUE(placements.ok());
    std::vector<int> per_node(nodes, 0);
    for (const Placement& p : *placements) ++per_node[p.node_index];
    auto [lo, hi] = std::minmax_element(per_node.begin(), per_node.end());
    EXPECT_LE(*hi - *lo, 1) << "seed " << seed;
  }
}

TEST(SchedulerPropertyTest, SameInputSamePlacements) {
  Gen g(77);
  ClusterSnapshot snap = RandomCluster(g, 250, 20);
  std::vector<PodRequest> pods;
  for (int i = 0; i < 400; ++i) pods.push_back(g.RandomPod("p" + std::to_string(i)));
  auto a = Schedule(snap, pods);
  auto b = Schedule(snap, pods);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < pods.size(); ++i) {
    EXPECT_EQ((*a)[i].node, (*b)[i].node);
    EXPECT_EQ((*a)[i].message, (*b)[i].message);
  }
}

}  // namespace
}  // namespace gorch::planner

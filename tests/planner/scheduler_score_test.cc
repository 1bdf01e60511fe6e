// Each score plugin (alone, through Scheduler::Evaluate), the tie-break, and the
// cycle's behaviour: binding, sampling, determinism.
#include <gtest/gtest.h>

#include <set>

#include "scheduler_test_util.h"

namespace gorch::planner {
namespace {

using testing::Node;
using testing::Only;
using testing::Pod;
using testing::Selector;
using testing::kGi;
using testing::kMi;

// Score of plugin p per node name (-1 for nodes that were filtered out).
std::map<std::string, int> Scores(const ClusterSnapshot& snap, const PodRequest& pod, ScorePlugin p,
                                  SchedulerOptions options) {
  std::map<std::string, int> out;
  for (const NodeEvaluation& e : testing::EvaluateOn(snap, pod, options)) {
    out[snap.nodes[e.node_index].name] = e.filter.ok() ? e.score[p] : -1;
  }
  return out;
}
std::map<std::string, int> Scores(const ClusterSnapshot& snap, const PodRequest& pod, ScorePlugin p) {
  return Scores(snap, pod, p, Only(p));
}

TEST(NodeResourcesFitScoreTest, LeastAllocatedPrefersFreeNodes) {
  ClusterSnapshot snap{{Node("empty", 4000, 16 * kGi), Node("half", 4000, 16 * kGi)}};
  snap.nodes[1].pods.push_back(Pod("bound", 2000, 8 * kGi));
  auto s = Scores(snap, Pod("p", 1000, 4 * kGi), ScorePlugin::kNodeResourcesFit);
  EXPECT_EQ(s["empty"], 75);  // (3000/4000 + 12/16) / 2
  EXPECT_EQ(s["half"], 25);
}

TEST(NodeResourcesFitScoreTest, MostAllocatedPrefersFullNodes) {
  ClusterSnapshot snap{{Node("empty", 4000, 16 * kGi), Node("half", 4000, 16 * kGi)}};
  snap.nodes[1].pods.push_back(Pod("bound", 2000, 8 * kGi));
  SchedulerOptions options = Only(ScorePlugin::kNodeResourcesFit);
  options.resource_scoring = ResourceScoring::kMostAllocated;
  auto s = Scores(snap, Pod("p", 1000, 4 * kGi), ScorePlugin::kNodeResourcesFit, options);
  EXPECT_EQ(s["empty"], 25);
  EXPECT_EQ(s["half"], 75);
}

TEST(NodeResourcesFitScoreTest, ZeroRequestsCountAsDefaults) {
  ClusterSnapshot snap{{Node("n", 1000, 1000 * kMi)}};
  // 100m of 1000m and 200Mi of 1000Mi: (90 + 80) / 2.
  EXPECT_EQ(Scores(snap, Pod("p", 0, 0), ScorePlugin::kNodeResourcesFit)["n"], 85);
}

TEST(BalancedAllocationScoreTest, PenalizesUnevenUse) {
  ClusterSnapshot snap{{Node("n", 4000, 16 * kGi)}};
  EXPECT_EQ(Scores(snap, Pod("even", 2000, 8 * kGi), ScorePlugin::kBalancedAllocation)["n"], 100);
  // cpu 1/2, memory 1/4: 100 * (1 - 0.25 / 2) = 87.5, floored.
  EXPECT_EQ(Scores(snap, Pod("skewed", 2000, 4 * kGi), ScorePlugin::kBalancedAllocation)["n"], 87);
  EXPECT_EQ(Scores(snap, Pod("cpu-only", 4000, 0), ScorePlugin::kBalancedAllocation)["n"], 50);
}

TEST(PodTopologySpreadScoreTest, FavoursEmptierDomains) {
  ClusterSnapshot snap{{Node("a1", 4000, 16 * kGi, {{"zone", "a"}}), Node("a2", 4000, 16 * kGi, {{"zone", "a"}}),
                        Node("b1", 4000, 16 * kGi, {{"zone", "b"}}), Node("c1", 4000, 16 * kGi, {{"zone", "c"}}),
                        Node("x")}};
  snap.nodes[0].pods = {Pod("web-0", 100, kMi, {{"app", "web"}}), Pod("web-1", 100, kMi, {{"app", "web"}})};
  snap.nodes[2].pods = {Pod("web-2", 100, kMi, {{"app", "web"}})};
  PodRequest p = Pod("web-3", 100, kMi, {{"app", "web"}});
  p.topology_spread_constraints.push_back({1, "zone", WhenUnsatisfiable::kScheduleAnyway, Selector({{"app", "web"}})});
  auto s = Scores(snap, p, ScorePlugin::kPodTopologySpread);
  // counts a=2, b=1, c=0: 100 * (max + min - count) / max.
  EXPECT_EQ(s["a1"], 0);
  EXPECT_EQ(s["a2"], 0);
  EXPECT_EQ(s["b1"], 50);
  EXPECT_EQ(s["c1"], 100);
  EXPECT_EQ(s["x"], 0);  // no zone label: ignored
}

TEST(NodeAffinityScoreTest, WeightsOfMatchedPreferences) {
  ClusterSnapshot snap{{Node("both", 4000, 16 * kGi, {{"disk", "ssd"}, {"size", "big"}}),
                        Node("ssd", 4000, 16 * kGi, {{"disk", "ssd"}}), Node("big", 4000, 16 * kGi, {{"size", "big"}}),
                        Node("none")}};
  PodRequest p = Pod("p");
  p.preferred_node_affinity = {{80, {{{"disk", SelectorOperator::kIn, {"ssd"}}}}},
                               {20, {{{"size", SelectorOperator::kExists, {}}}}}};
  auto s = Scores(snap, p, ScorePlugin::kNodeAffinity);
  EXPECT_EQ(s["both"], 100);
  EXPECT_EQ(s["ssd"], 80);
  EXPECT_EQ(s["big"], 20);
  EXPECT_EQ(s["none"], 0);
}

TEST(InterPodAffinityScoreTest, PreferredAffinityAndAntiAffinity) {
  ClusterSnapshot snap{{Node("n1"), Node("n2"), Node("n3")}};
  snap.nodes[0].pods = {Pod("cache-0", 100, kMi, {{"app", "cache"}}), Pod("cache-1", 100, kMi, {{"app", "cache"}})};
  snap.nodes[1].pods = {Pod("cache-2", 100, kMi, {{"app", "cache"}})};
  PodRequest near = Pod("web");
  near.preferred_pod_affinity = {{10, {Selector({{"app", "cache"}}), {}, std::string(kHostnameLabel)}}};
  auto s = Scores(snap, near, ScorePlugin::kInterPodAffinity);
  EXPECT_EQ(s["n1"], 100);
  EXPECT_EQ(s["n2"], 50);
  EXPECT_EQ(s["n3"], 0);

  PodRequest away = Pod("batch");
  away.preferred_pod_anti_affinity = {{10, {Selector({{"app", "cache"}}), {}, std::string(kHostnameLabel)}}};
  s = Scores(snap, away, ScorePlugin::kInterPodAffinity);
  EXPECT_EQ(s["n1"], 0);
  EXPECT_EQ(s["n2"], 50);
  EXPECT_EQ(s["n3"], 100);
}

TEST(TaintTolerationScoreTest, FewerUntoleratedPreferNoScheduleTaints) {
  ClusterSnapshot snap{{Node("two"), Node("one"), Node("none"), Node("tolerated")}};
  snap.nodes[0].taints = {{"spot", "", TaintEffect::kPreferNoSchedule}, {"old", "", TaintEffect::kPreferNoSchedule}};
  snap.nodes[1].taints = {{"spot", "", TaintEffect::kPreferNoSchedule}};
  snap.nodes[3].taints = {{"gpu", "", TaintEffect::kPreferNoSchedule}};
  PodRequest p = Pod("p");
  p.tolerations = {{"gpu", TolerationOperator::kExists, "", {}}};
  auto s = Scores(snap, p, ScorePlugin::kTaintToleration);
  EXPECT_EQ(s["two"], 0);
  EXPECT_EQ(s["one"], 50);
  EXPECT_EQ(s["none"], 100);
  EXPECT_EQ(s["tolerated"], 100);
}

TEST(ScoreTest, TotalIsWeightedSumAndDescribed) {
  ClusterSnapshot snap{{Node("n", 4000, 16 * kGi)}};
  auto evals = testing::EvaluateOn(snap, Pod("p", 2000, 4 * kGi));
  ASSERT_EQ(evals.size(), 1u);
  const ScoreBreakdown& s = evals[0].score;
  ScoreWeights w;
  int64_t total = 0;
  for (size_t p = 0; p < kScorePluginCount; ++p) total += int64_t{w.weight[p]} * s.plugin[p];
  EXPECT_EQ(s.total, total);
  // fit (50+75)/2=62, balanced 87, taint 100 (x3), others 0.
  EXPECT_EQ(DescribeScore(s, w),
            "total 449: NodeResourcesFit 62x1, BalancedAllocation 87x1, PodTopologySpread 0x2, "
            "NodeAffinity 0x2, InterPodAffinity 0x2, TaintToleration 100x3");
}

TEST(TieBreakTest, EqualNodesGoToSmallestKeyAndSeedChangesIt) {
  ClusterSnapshot snap;
  for (int i = 0; i < 8; ++i) snap.nodes.push_back(Node("node-" + std::to_string(i)));
  std::set<std::string> winners;
  for (uint64_t seed = 0; seed < 6; ++seed) {
    SchedulerOptions options;
    options.tie_break_seed = seed;
    auto placed = Schedule(snap, {Pod("p")}, options);
    ASSERT_TRUE(placed.ok());
    std::string expected;
    uint64_t best = UINT64_MAX;
    for (const NodeInfo& n : snap.nodes) {
      if (NodeTieBreakKey(n.name, seed) < best) {
        best = NodeTieBreakKey(n.name, seed);
        expected = n.name;
      }
    }
    EXPECT_EQ((*placed)[0].node, expected);
    winners.insert(expected);
  }
  EXPECT_GT(winners.size(), 1u);
}

TEST(ScheduleTest, LaterPodsSeeEarlierPlacements) {
  ClusterSnapshot snap{{Node("a", 1000, 4 * kGi), Node("b", 1000, 4 * kGi)}};
  auto placed = Schedule(snap, {Pod("p0", 600, kGi), Pod("p1", 600, kGi), Pod("p2", 600, kGi)});
  ASSERT_TRUE(placed.ok());
  ASSERT_EQ(placed->size(), 3u);
  EXPECT_TRUE((*placed)[0].scheduled());
  EXPECT_TRUE((*placed)[1].scheduled());
  EXPECT_NE((*placed)[0].node, (*placed)[1].node);
  EXPECT_FALSE((*placed)[2].scheduled());
  EXPECT_EQ((*placed)[2].message, "0/2 nodes fit: 2 insufficient cpu");
  EXPECT_EQ((*placed)[2].pod_index, 2u);
}

TEST(ScheduleTest, MostAllocatedPacksLeastAllocatedSpreads) {
  ClusterSnapshot snap{{Node("a"), Node("b"), Node("c")}};
  std::vector<PodRequest> pods;
  for (int i = 0; i < 6; ++i) pods.push_back(Pod("p" + std::to_string(i), 500, kGi));
  auto spread = Schedule(snap, pods);
  SchedulerOptions pack;
  pack.resource_scoring = ResourceScoring::kMostAllocated;
  auto packed = Schedule(snap, pods, pack);
  ASSERT_TRUE(spread.ok() && packed.ok());
  std::map<std::string, int> spread_count, packed_count;
  for (const Placement& p : *spread) ++spread_count[p.node];
  for (const Placement& p : *packed) ++packed_count[p.node];
  EXPECT_EQ(spread_count.size(), 3u);
  for (auto& [node, count] : spread_count) EXPECT_EQ(count, 2) << node;
  EXPECT_EQ(packed_count.size(), 1u);
}

TEST(ScheduleTest, SchedulerTracksRequests) {
  ClusterSnapshot snap{{Node("a")}};
  snap.nodes[0].pods.push_back(Pod("bound", 300, kGi));
  auto scheduler = Scheduler::Create(snap);
  ASSERT_TRUE(scheduler.ok());
  ASSERT_TRUE(scheduler->ScheduleOne(Pod("p", 200, kGi)).ok());
  EXPECT_EQ(scheduler->Requested(0), (ResourceList{500, 2 * kGi}));
  EXPECT_EQ(scheduler->PodCount(0), 2);
  EXPECT_EQ(scheduler->node_count(), 1u);
}

ClusterSnapshot ManyNodes(int count) {
  ClusterSnapshot snap;
  for (int i = 0; i < count; ++i) {
    snap.nodes.push_back(Node("n" + std::to_string(i), 2000 + (i % 7) * 1000, (4 + i % 5) * kGi));
  }
  return snap;
}

TEST(SamplingTest, AdaptiveSampleStopsEarlyFullScanDoesNot) {
  ClusterSnapshot snap = ManyNodes(1000);  // adaptive: 50 - 1000/125 = 42% -> 420 nodes
  auto sampled = Schedule(snap, {Pod("p0"), Pod("p1")});
  SchedulerOptions full;
  full.percentage_of_nodes_to_score = 100;
  auto scanned = Schedule(snap, {Pod("p0")}, full);
  ASSERT_TRUE(sampled.ok() && scanned.ok());
  EXPECT_EQ((*sampled)[0].nodes_feasible, 420);
  EXPECT_EQ((*sampled)[0].nodes_evaluated, 420);
  EXPECT_EQ((*scanned)[0].nodes_feasible, 1000);
  SchedulerOptions ten;
  ten.percentage_of_nodes_to_score = 10;  // 100 nodes, the floor
  auto small = Schedule(snap, {Pod("p0")}, ten);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ((*small)[0].nodes_feasible, 100);
}

TEST(SamplingTest, DeterministicAcrossRuns) {
  ClusterSnapshot snap = ManyNodes(700);
  std::vector<PodRequest> pods;
  for (int i = 0; i < 500; ++i) pods.push_back(Pod("p" + std::to_string(i), 100 + (i % 9) * 150, (1 + i % 3) * kGi));
  auto first = Schedule(snap, pods);
  auto second = Schedule(snap, pods);
  ASSERT_TRUE(first.ok() && second.ok());
  for (size_t i = 0; i < pods.size(); ++i) {
    EXPECT_EQ((*first)[i].node, (*second)[i].node);
    EXPECT_EQ((*first)[i].score.total, (*second)[i].score.total);
  }
}

TEST(SamplingTest, UnschedulableAfterSamplingStillScansEverything) {
  ClusterSnapshot snap = ManyNodes(500);
  for (int i = 0; i < 500; i += 2) snap.nodes[i].taints = {{"dedicated", "x", TaintEffect::kNoSchedule}};
  auto placed = Schedule(snap, {Pod("huge", 100000, kGi)});
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0].message, "0/500 nodes fit: 250 insufficient cpu, 250 untolerated taint dedicated=x");
  EXPECT_EQ((*placed)[0].nodes_evaluated, 250);
}

}  // namespace
}  // namespace gorch::planner

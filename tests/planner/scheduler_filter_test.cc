// Each filter plugin, seen through Scheduler::Evaluate (every node's verdict), and the
// model helpers the filters rest on.
#include <gtest/gtest.h>

#include "scheduler_test_util.h"

namespace gorch::planner {
namespace {

using testing::Node;
using testing::Pod;
using testing::Selector;
using testing::kGi;
using testing::kMi;

// The verdicts of pod on snapshot, by node name.
std::map<std::string, FilterStatus> Verdicts(const ClusterSnapshot& snap, const PodRequest& pod) {
  std::map<std::string, FilterStatus> out;
  for (const NodeEvaluation& e : testing::EvaluateOn(snap, pod)) {
    out[snap.nodes[e.node_index].name] = e.filter;
  }
  return out;
}

void ExpectRejected(const FilterStatus& s, FilterPlugin plugin, std::vector<std::string> reasons) {
  EXPECT_EQ(s.code, FilterCode::kUnschedulable);
  EXPECT_EQ(FilterPluginName(s.plugin), FilterPluginName(plugin));
  EXPECT_EQ(s.reasons, reasons);
}

TEST(NodeUnschedulableTest, CordonedNodeRejectedUnlessTolerated) {
  ClusterSnapshot snap{{Node("a"), Node("b")}};
  snap.nodes[0].unschedulable = true;
  auto v = Verdicts(snap, Pod("p"));
  ExpectRejected(v["a"], FilterPlugin::kNodeUnschedulable, {"node unschedulable"});
  EXPECT_TRUE(v["b"].ok());

  PodRequest tolerant = Pod("p");
  tolerant.tolerations.push_back({std::string(kUnschedulableTaintKey), TolerationOperator::kExists, "", {}});
  EXPECT_TRUE(Verdicts(snap, tolerant)["a"].ok());
}

TEST(TaintTolerationTest, NotReadyNodeRejectedUnlessTolerated) {
  ClusterSnapshot snap{{Node("a")}};
  snap.nodes[0].ready = false;
  ExpectRejected(Verdicts(snap, Pod("p"))["a"], FilterPlugin::kTaintToleration, {"node not ready"});
  PodRequest daemon = Pod("p");
  daemon.tolerations.push_back({std::string(kNotReadyTaintKey), TolerationOperator::kExists, "", {}});
  EXPECT_TRUE(Verdicts(snap, daemon)["a"].ok());
}

TEST(TaintTolerationTest, NoScheduleAndNoExecuteRejectPreferNoScheduleDoesNot) {
  ClusterSnapshot snap{{Node("db"), Node("evict"), Node("soft"), Node("plain")}};
  snap.nodes[0].taints = {{"dedicated", "db", TaintEffect::kNoSchedule}};
  snap.nodes[1].taints = {{"maintenance", "", TaintEffect::kNoExecute}};
  snap.nodes[2].taints = {{"spot", "true", TaintEffect::kPreferNoSchedule}};
  auto v = Verdicts(snap, Pod("p"));
  ExpectRejected(v["db"], FilterPlugin::kTaintToleration, {"untolerated taint dedicated=db"});
  ExpectRejected(v["evict"], FilterPlugin::kTaintToleration, {"untolerated taint maintenance"});
  EXPECT_TRUE(v["soft"].ok());
  EXPECT_TRUE(v["plain"].ok());
}

TEST(TaintTolerationTest, TolerationForms) {
  ClusterSnapshot snap{{Node("db")}};
  snap.nodes[0].taints = {{"dedicated", "db", TaintEffect::kNoSchedule}};
  auto fits = [&](Toleration t) {
    PodRequest p = Pod("p");
    p.tolerations.push_back(std::move(t));
    return Verdicts(snap, p)["db"].ok();
  };
  EXPECT_TRUE(fits({"dedicated", TolerationOperator::kEqual, "db", TaintEffect::kNoSchedule}));
  EXPECT_TRUE(fits({"dedicated", TolerationOperator::kEqual, "db", {}}));
  EXPECT_TRUE(fits({"dedicated", TolerationOperator::kExists, "", {}}));
  EXPECT_TRUE(fits({"", TolerationOperator::kExists, "", {}}));  // tolerates everything
  EXPECT_FALSE(fits({"dedicated", TolerationOperator::kEqual, "web", {}}));
  EXPECT_FALSE(fits({"dedicated", TolerationOperator::kEqual, "db", TaintEffect::kNoExecute}));
  EXPECT_FALSE(fits({"other", TolerationOperator::kExists, "", {}}));
}

TEST(NodeAffinityTest, NodeSelector) {
  ClusterSnapshot snap{{Node("ssd", 4000, 16 * kGi, {{"disk", "ssd"}}), Node("hdd", 4000, 16 * kGi, {{"disk", "hdd"}}),
                        Node("bare")}};
  PodRequest p = Pod("p");
  p.node_selector = {{"disk", "ssd"}};
  auto v = Verdicts(snap, p);
  EXPECT_TRUE(v["ssd"].ok());
  ExpectRejected(v["hdd"], FilterPlugin::kNodeAffinity, {"node affinity/selector mismatch"});
  ExpectRejected(v["bare"], FilterPlugin::kNodeAffinity, {"node affinity/selector mismatch"});
}

TEST(NodeAffinityTest, RequiredTermOperators) {
  ClusterSnapshot snap{{Node("a", 4000, 16 * kGi, {{"zone", "a"}, {"cores", "8"}}),
                        Node("b", 4000, 16 * kGi, {{"zone", "b"}, {"cores", "32"}}),
                        Node("c", 4000, 16 * kGi, {{"cores", "many"}})}};
  auto fitting = [&](std::vector<NodeSelectorTerm> terms) {
    PodRequest p = Pod("p");
    p.required_node_affinity = std::move(terms);
    std::string out;
    for (auto& [name, s] : Verdicts(snap, p)) {
      if (s.ok()) out += name;
    }
    return out;
  };
  using Op = SelectorOperator;
  EXPECT_EQ(fitting({{{{"zone", Op::kIn, {"a", "x"}}}}}), "a");
  EXPECT_EQ(fitting({{{{"zone", Op::kNotIn, {"a"}}}}}), "bc");  // absent key: NotIn holds
  EXPECT_EQ(fitting({{{{"zone", Op::kExists, {}}}}}), "ab");
  EXPECT_EQ(fitting({{{{"zone", Op::kDoesNotExist, {}}}}}), "c");
  EXPECT_EQ(fitting({{{{"cores", Op::kGt, {"16"}}}}}), "b");  // "many" is not a number
  EXPECT_EQ(fitting({{{{"cores", Op::kLt, {"16"}}}}}), "a");
  // Requirements of a term are ANDed, terms ORed.
  EXPECT_EQ(fitting({{{{"zone", Op::kIn, {"a", "b"}}, {"cores", Op::kGt, {"8"}}}}}), "b");
  EXPECT_EQ(fitting({{{{"zone", Op::kIn, {"a"}}}}, {{{"cores", Op::kIn, {"many"}}}}}), "ac");
  // An empty term matches no node.
  EXPECT_EQ(fitting({NodeSelectorTerm{}}), "");
}

TEST(NodeResourcesFitTest, CpuMemoryAndPodCount) {
  ClusterSnapshot snap{{Node("small", 1000, 1 * kGi), Node("full", 4000, 16 * kGi), Node("big", 8000, 32 * kGi)}};
  snap.nodes[1].allocatable_pods = 1;
  snap.nodes[1].pods.push_back(Pod("bound", 100, 100 * kMi));
  auto v = Verdicts(snap, Pod("p", 2000, 2 * kGi));
  ExpectRejected(v["small"], FilterPlugin::kNodeResourcesFit, {"insufficient cpu", "insufficient memory"});
  ExpectRejected(v["full"], FilterPlugin::kNodeResourcesFit, {"too many pods"});
  EXPECT_TRUE(v["big"].ok());
}

TEST(NodeResourcesFitTest, BoundPodsCountAndZeroRequestsAreNotChecked) {
  ClusterSnapshot snap{{Node("a", 1000, 1 * kGi)}};
  snap.nodes[0].pods.push_back(Pod("bound", 900, 1 * kGi));
  ExpectRejected(Verdicts(snap, Pod("p", 200, 0))["a"], FilterPlugin::kNodeResourcesFit, {"insufficient cpu"});
  EXPECT_TRUE(Verdicts(snap, Pod("p", 100, 0))["a"].ok());  // exactly full, memory not requested
  EXPECT_TRUE(Verdicts(snap, Pod("p", 0, 0))["a"].ok());
}

TEST(NodePortsTest, ConflictsByPortProtocolAndAddress) {
  ClusterSnapshot snap{{Node("a")}};
  PodRequest bound = Pod("bound");
  bound.host_ports = {{8080, Protocol::kTCP, ""}, {9000, Protocol::kTCP, "198.18.0.1"}};
  snap.nodes[0].pods.push_back(bound);
  auto fits = [&](HostPort port) {
    PodRequest p = Pod("p");
    p.host_ports = {port};
    return Verdicts(snap, p)["a"];
  };
  ExpectRejected(fits({8080, Protocol::kTCP, ""}), FilterPlugin::kNodePorts, {"host port 8080/TCP in use"});
  ExpectRejected(fits({8080, Protocol::kTCP, "198.18.0.2"}), FilterPlugin::kNodePorts, {"host port 8080/TCP in use"});
  EXPECT_TRUE(fits({8080, Protocol::kUDP, ""}).ok());
  EXPECT_TRUE(fits({9000, Protocol::kTCP, "198.18.0.2"}).ok());
  EXPECT_FALSE(fits({9000, Protocol::kTCP, "0.0.0.0"}).ok());
  EXPECT_TRUE(fits({8081, Protocol::kTCP, ""}).ok());
}

ClusterSnapshot ZonedCluster() {
  // a1, a2 in zone a; b1 in zone b; x has no zone label.
  return {{Node("a1", 4000, 16 * kGi, {{"zone", "a"}}), Node("a2", 4000, 16 * kGi, {{"zone", "a"}}),
           Node("b1", 4000, 16 * kGi, {{"zone", "b"}}), Node("x")}};
}

TEST(PodAntiAffinityTest, OwnTermRejectsDomainsHoldingSelectedPods) {
  ClusterSnapshot snap = ZonedCluster();
  snap.nodes[0].pods.push_back(Pod("db-0", 100, kMi, {{"app", "db"}}));
  PodRequest p = Pod("db-1", 100, kMi, {{"app", "db"}});
  p.required_pod_anti_affinity.push_back({Selector({{"app", "db"}}), {}, std::string(kHostnameLabel)});
  auto v = Verdicts(snap, p);
  ExpectRejected(v["a1"], FilterPlugin::kPodAntiAffinity, {"pod anti-affinity on kubernetes.io/hostname"});
  EXPECT_TRUE(v["a2"].ok());

  p.required_pod_anti_affinity[0].topology_key = "zone";
  v = Verdicts(snap, p);
  ExpectRejected(v["a2"], FilterPlugin::kPodAntiAffinity, {"pod anti-affinity on zone"});
  EXPECT_TRUE(v["b1"].ok());
  EXPECT_TRUE(v["x"].ok());  // no zone label: the term does not constrain it
}

TEST(PodAntiAffinityTest, NamespacesOfTheTerm) {
  ClusterSnapshot snap = ZonedCluster();
  PodRequest other = Pod("db-0", 100, kMi, {{"app", "db"}});
  other.namespace_ = "prod";
  snap.nodes[0].pods.push_back(other);
  PodRequest p = Pod("db-1", 100, kMi, {{"app", "db"}});
  p.required_pod_anti_affinity.push_back({Selector({{"app", "db"}}), {}, std::string(kHostnameLabel)});
  EXPECT_TRUE(Verdicts(snap, p)["a1"].ok());  // own namespace "default" only
  p.required_pod_anti_affinity[0].namespaces = {"prod"};
  EXPECT_FALSE(Verdicts(snap, p)["a1"].ok());
}

TEST(PodAntiAffinityTest, BoundPodsTermsRejectMatchingNewcomers) {
  ClusterSnapshot snap = ZonedCluster();
  PodRequest loner = Pod("loner", 100, kMi, {{"app", "loner"}});
  loner.required_pod_anti_affinity.push_back({Selector({{"app", "noisy"}}), {}, "zone"});
  snap.nodes[0].pods.push_back(loner);
  auto v = Verdicts(snap, Pod("noisy", 100, kMi, {{"app", "noisy"}}));
  ExpectRejected(v["a1"], FilterPlugin::kPodAntiAffinity, {"anti-affinity of bound pods on zone"});
  ExpectRejected(v["a2"], FilterPlugin::kPodAntiAffinity, {"anti-affinity of bound pods on zone"});
  EXPECT_TRUE(v["b1"].ok());
  EXPECT_TRUE(Verdicts(snap, Pod("quiet", 100, kMi, {{"app", "quiet"}}))["a1"].ok());
}

TEST(PodAntiAffinityTest, ScheduledPodsTermsAreSeenByLaterPods) {
  ClusterSnapshot snap{{Node("n1"), Node("n2")}};
  auto scheduler = Scheduler::Create(snap);
  ASSERT_TRUE(scheduler.ok());
  PodRequest loner = Pod("loner", 100, kMi, {{"app", "loner"}});
  loner.required_pod_anti_affinity.push_back({Selector({{"app", "noisy"}}), {}, std::string(kHostnameLabel)});
  auto first = scheduler->ScheduleOne(loner);
  ASSERT_TRUE(first.ok() && first->scheduled());
  auto second = scheduler->ScheduleOne(Pod("noisy", 100, kMi, {{"app", "noisy"}}));
  ASSERT_TRUE(second.ok() && second->scheduled());
  EXPECT_NE(first->node, second->node);
}

TEST(PodAffinityTest, RequiresASelectedPodInTheDomain) {
  ClusterSnapshot snap = ZonedCluster();
  snap.nodes[0].pods.push_back(Pod("cache-0", 100, kMi, {{"app", "cache"}}));
  PodRequest p = Pod("web", 100, kMi, {{"app", "web"}});
  p.required_pod_affinity.push_back({Selector({{"app", "cache"}}), {}, "zone"});
  auto v = Verdicts(snap, p);
  EXPECT_TRUE(v["a1"].ok());
  EXPECT_TRUE(v["a2"].ok());  // same zone as the cache pod
  ExpectRejected(v["b1"], FilterPlugin::kPodAffinity, {"pod affinity on zone"});
  ExpectRejected(v["x"], FilterPlugin::kPodAffinity, {"pod affinity on zone"});  // no zone label
}

TEST(PodAffinityTest, FirstPodOfASelfAffineGroupGoesAnywhere) {
  ClusterSnapshot snap = ZonedCluster();
  PodRequest first = Pod("web-0", 100, kMi, {{"app", "web"}});
  first.required_pod_affinity.push_back({Selector({{"app", "web"}}), {}, "zone"});
  auto v = Verdicts(snap, first);
  EXPECT_TRUE(v["a1"].ok());
  EXPECT_TRUE(v["b1"].ok());
  EXPECT_FALSE(v["x"].ok());  // the topology key is still required
  // A pod that does not match its own term has no such exemption.
  PodRequest other = Pod("api", 100, kMi, {{"app", "api"}});
  other.required_pod_affinity = first.required_pod_affinity;
  EXPECT_FALSE(Verdicts(snap, other)["a1"].ok());
  // Once one exists, the rest follow it.
  auto scheduler = Scheduler::Create(snap);
  ASSERT_TRUE(scheduler.ok());
  auto a = scheduler->ScheduleOne(first);
  first.name = "web-1";
  auto b = scheduler->ScheduleOne(first);
  ASSERT_TRUE(a.ok() && b.ok() && a->scheduled() && b->scheduled());
  EXPECT_EQ(snap.nodes[a->node_index].labels.at("zone"), snap.nodes[b->node_index].labels.at("zone"));
}

TEST(PodTopologySpreadTest, MaxSkewAgainstLeastPopulatedDomain) {
  ClusterSnapshot snap = ZonedCluster();
  snap.nodes[0].pods.push_back(Pod("web-0", 100, kMi, {{"app", "web"}}));
  PodRequest p = Pod("web-1", 100, kMi, {{"app", "web"}});
  p.topology_spread_constraints.push_back({1, "zone", WhenUnsatisfiable::kDoNotSchedule, Selector({{"app", "web"}})});
  auto v = Verdicts(snap, p);
  // zone a holds 1, zone b 0: another in a would make skew 2.
  ExpectRejected(v["a2"], FilterPlugin::kPodTopologySpread, {"topology spread maxSkew on zone"});
  EXPECT_TRUE(v["b1"].ok());
  ExpectRejected(v["x"], FilterPlugin::kPodTopologySpread, {"missing topology label zone"});

  p.topology_spread_constraints[0].max_skew = 2;
  EXPECT_TRUE(Verdicts(snap, p)["a2"].ok());
}

TEST(PodTopologySpreadTest, PodNotMatchingItsSelectorAddsNoSkew) {
  ClusterSnapshot snap = ZonedCluster();
  snap.nodes[0].pods.push_back(Pod("web-0", 100, kMi, {{"app", "web"}}));
  PodRequest p = Pod("sidecar", 100, kMi, {{"app", "other"}});
  p.topology_spread_constraints.push_back({1, "zone", WhenUnsatisfiable::kDoNotSchedule, Selector({{"app", "web"}})});
  EXPECT_TRUE(Verdicts(snap, p)["a2"].ok());  // 1 + 0 - 0 <= 1
}

TEST(PodTopologySpreadTest, OnlyNodesPassingNodeAffinityFormDomains) {
  ClusterSnapshot snap = ZonedCluster();
  snap.nodes[0].labels["pool"] = "x";
  snap.nodes[1].labels["pool"] = "x";
  snap.nodes[0].pods.push_back(Pod("web-0", 100, kMi, {{"app", "web"}}));
  PodRequest p = Pod("web-1", 100, kMi, {{"app", "web"}});
  p.node_selector = {{"pool", "x"}};
  p.topology_spread_constraints.push_back({1, "zone", WhenUnsatisfiable::kDoNotSchedule, Selector({{"app", "web"}})});
  // Zone b has no node in pool x, so it is not a domain: the minimum is zone a's 1.
  EXPECT_TRUE(Verdicts(snap, p)["a2"].ok());
}

TEST(PodTopologySpreadTest, OtherNamespacesDoNotCount) {
  ClusterSnapshot snap = ZonedCluster();
  PodRequest elsewhere = Pod("web-0", 100, kMi, {{"app", "web"}});
  elsewhere.namespace_ = "staging";
  snap.nodes[0].pods = {elsewhere, elsewhere};
  PodRequest p = Pod("web-1", 100, kMi, {{"app", "web"}});
  p.topology_spread_constraints.push_back({1, "zone", WhenUnsatisfiable::kDoNotSchedule, Selector({{"app", "web"}})});
  EXPECT_TRUE(Verdicts(snap, p)["a1"].ok());
}

TEST(UnschedulableMessageTest, GroupsReasonsLikeKubeScheduler) {
  ClusterSnapshot snap;
  for (int i = 0; i < 3; ++i) snap.nodes.push_back(Node("small-" + std::to_string(i), 500, 16 * kGi));
  for (int i = 0; i < 2; ++i) {
    snap.nodes.push_back(Node("db-" + std::to_string(i), 8000, 16 * kGi));
    snap.nodes.back().taints = {{"dedicated", "db", TaintEffect::kNoSchedule}};
  }
  auto placed = Schedule(snap, {Pod("p", 1000, kGi)});
  ASSERT_TRUE(placed.ok());
  ASSERT_EQ(placed->size(), 1u);
  EXPECT_FALSE((*placed)[0].scheduled());
  EXPECT_EQ((*placed)[0].node, "");
  EXPECT_EQ((*placed)[0].message, "0/5 nodes fit: 3 insufficient cpu, 2 untolerated taint dedicated=db");
}

TEST(UnschedulableMessageTest, EmptyCluster) {
  auto placed = Schedule(ClusterSnapshot{}, {Pod("p")});
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0].message, "0/0 nodes fit: no nodes");
}

TEST(UnschedulableMessageTest, TiesOrderedByText) {
  ClusterSnapshot snap{{Node("a", 100, 16 * kGi), Node("b", 4000, 16 * kGi)}};
  snap.nodes[1].unschedulable = true;
  auto placed = Schedule(snap, {Pod("p", 1000, kMi)});
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0].message, "0/2 nodes fit: 1 insufficient cpu, 1 node unschedulable");
}

TEST(ModelTest, EffectiveRequestTakesInitContainersMax) {
  EXPECT_EQ(EffectiveRequest({{100, 10}, {200, 20}}, {{250, 5}}), (ResourceList{300, 30}));
  EXPECT_EQ(EffectiveRequest({{100, 10}}, {{500, 5}, {50, 40}}), (ResourceList{500, 40}));
}

TEST(ModelTest, LabelSelectorMatching) {
  LabelSelector s = Selector({{"app", "web"}});
  s.match_expressions = {{"tier", SelectorOperator::kNotIn, {"db"}}};
  EXPECT_TRUE(Matches(s, {{"app", "web"}}));
  EXPECT_TRUE(Matches(s, {{"app", "web"}, {"tier", "front"}}));
  EXPECT_FALSE(Matches(s, {{"app", "web"}, {"tier", "db"}}));
  EXPECT_FALSE(Matches(s, {{"app", "api"}}));
  EXPECT_TRUE(Matches(LabelSelector{}, {}));
}

TEST(ModelTest, ValidationNamesTheProblem) {
  PodRequest p = Pod("web");
  p.requests.cpu_millis = -1;
  EXPECT_TRUE(ValidatePod(p).IsInvalidArgument());
  p = Pod("web");
  p.topology_spread_constraints.push_back({0, "zone", WhenUnsatisfiable::kDoNotSchedule, {}});
  EXPECT_NE(ValidatePod(p).message().find("maxSkew"), std::string::npos);
  p = Pod("web");
  p.required_pod_anti_affinity.push_back({{{}, {{"n", SelectorOperator::kGt, {"1"}}}}, {}, "zone"});
  EXPECT_NE(ValidatePod(p).message().find("Gt/Lt only in node affinity"), std::string::npos);
  p = Pod("web");
  p.required_node_affinity.push_back({{{"cores", SelectorOperator::kGt, {"eight"}}}});
  EXPECT_NE(ValidatePod(p).message().find("one integer"), std::string::npos);
  p = Pod("web");
  p.tolerations.push_back({"", TolerationOperator::kEqual, "x", {}});
  EXPECT_TRUE(ValidatePod(p).IsInvalidArgument());
  p = Pod("web");
  p.host_ports.push_back({70000, Protocol::kTCP, ""});
  EXPECT_TRUE(ValidatePod(p).IsInvalidArgument());
  p = Pod("web");
  p.preferred_pod_affinity.push_back({0, {{}, {}, "zone"}});
  EXPECT_NE(ValidatePod(p).message().find("weight 0"), std::string::npos);
  EXPECT_TRUE(ValidatePod(Pod("web")).ok());
}

TEST(ModelTest, SnapshotValidationAndSchedulerErrors) {
  ClusterSnapshot dup{{Node("a"), Node("a")}};
  EXPECT_NE(ValidateSnapshot(dup).message().find("duplicate node name 'a'"), std::string::npos);
  EXPECT_TRUE(Scheduler::Create(dup).status().IsInvalidArgument());
  SchedulerOptions bad;
  bad.percentage_of_nodes_to_score = 101;
  EXPECT_TRUE(Scheduler::Create(ClusterSnapshot{}, bad).status().IsInvalidArgument());
  PodRequest invalid = Pod("p");
  invalid.requests.memory_bytes = -5;
  auto r = Schedule(ClusterSnapshot{{Node("a")}}, {Pod("ok"), invalid});
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

}  // namespace
}  // namespace gorch::planner

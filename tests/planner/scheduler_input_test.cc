// Manifests and described clusters -> the scheduler's model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gorch/planner/scheduler.h"
#include "gorch/planner/scheduler_input.h"

namespace gorch::planner {
namespace {

using lang::Value;

Value FromJson(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::Null();
    case nlohmann::json::value_t::boolean: return Value::Bool(j.get<bool>());
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return Value::Int(j.get<int64_t>());
    case nlohmann::json::value_t::number_float: return Value::Float(j.get<double>());
    case nlohmann::json::value_t::string: return Value::String(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      Value::List list;
      for (const auto& item : j) list.push_back(FromJson(item));
      return Value::MakeList(std::move(list));
    }
    default: {
      Value::Map map;
      for (auto it = j.begin(); it != j.end(); ++it) map.emplace_back(it.key(), FromJson(it.value()));
      return Value::MakeMap(std::move(map));
    }
  }
}

Value Parse(const char* json) { return FromJson(nlohmann::json::parse(json)); }

TEST(QuantityTest, Cpu) {
  EXPECT_EQ(ParseCpuMillis("500m").value(), 500);
  EXPECT_EQ(ParseCpuMillis("0.5").value(), 500);
  EXPECT_EQ(ParseCpuMillis("2").value(), 2000);
  EXPECT_EQ(ParseCpuMillis("1.0001").value(), 1001);  // rounded up
  EXPECT_EQ(ParseCpuMillis("100u").value(), 1);
  EXPECT_EQ(ParseCpuMillis("1e3").value(), 1000000);
  EXPECT_EQ(ParseCpuMillis("0").value(), 0);
  EXPECT_EQ(CpuMillis(Value::Int(3)).value(), 3000);
  EXPECT_EQ(CpuMillis(Value::Float(0.25)).value(), 250);
  EXPECT_EQ(CpuMillis(Value::Float(0.1)).value(), 100);  // not 101: read from its shortest text
}

TEST(QuantityTest, Memory) {
  EXPECT_EQ(ParseMemoryBytes("128Mi").value(), 128ll << 20);
  EXPECT_EQ(ParseMemoryBytes("1.5Gi").value(), 1610612736);
  EXPECT_EQ(ParseMemoryBytes("1G").value(), 1000000000);
  EXPECT_EQ(ParseMemoryBytes("1k").value(), 1000);
  EXPECT_EQ(ParseMemoryBytes("1Ki").value(), 1024);
  EXPECT_EQ(ParseMemoryBytes("1e3").value(), 1000);
  EXPECT_EQ(ParseMemoryBytes("0.5").value(), 1);
  EXPECT_EQ(ParseMemoryBytes("129M").value(), 129000000);
}

TEST(QuantityTest, Malformed) {
  for (const char* bad : {"", "-1", "abc", "1Xi", "1e9999", "1..2", "Mi", "1 Gi"}) {
    EXPECT_TRUE(ParseMemoryBytes(bad).status().IsInvalidArgument()) << bad;
  }
  EXPECT_NE(ParseMemoryBytes("100Ei").status().message().find("too large"), std::string::npos);
  EXPECT_TRUE(CpuMillis(Value::Bool(true)).status().IsInvalidArgument());
}

TEST(PodRequestFromSpecTest, EveryField) {
  Value spec = Parse(R"({
    "containers": [
      {"name": "app", "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
       "ports": [{"containerPort": 80, "hostPort": 8080}, {"containerPort": 53, "hostPort": 53, "protocol": "UDP",
                  "hostIP": "198.18.0.1"}, {"containerPort": 9090}]},
      {"name": "sidecar", "resources": {"limits": {"cpu": 0.5, "memory": "64Mi"}}}
    ],
    "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "1", "memory": "32Mi"}}}],
    "nodeSelector": {"disk": "ssd", "gpu": true},
    "affinity": {
      "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
          {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]},
          {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-9"]}]}]},
        "preferredDuringSchedulingIgnoredDuringExecution": [
          {"weight": 30, "preference": {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}}]
      },
      "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
          {"labelSelector": {"matchLabels": {"app": "cache"}}, "topologyKey": "zone"}]
      },
      "podAntiAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
          {"labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]},
           "topologyKey": "kubernetes.io/hostname", "namespaces": ["prod"]}],
        "preferredDuringSchedulingIgnoredDuringExecution": [
          {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "zone"}}]
      }
    },
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"},
                    {"operator": "Exists"}, {"key": "spot", "operator": "Exists", "effect": ""}],
    "topologySpreadConstraints": [
      {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway",
       "labelSelector": {"matchLabels": {"app": "web"}}},
      {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname"}]
  })");
  auto pod = PodRequestFromSpec(spec, "prod", "web-1", {{"app", "web"}});
  ASSERT_TRUE(pod.ok()) << pod.status().ToString();
  EXPECT_EQ(pod->namespace_, "prod");
  EXPECT_EQ(pod->requests, (ResourceList{1000, (256 + 64) << 20}));  // cpu: the init container's 1
  ASSERT_EQ(pod->host_ports.size(), 2u);
  EXPECT_EQ(pod->host_ports[0], (HostPort{8080, Protocol::kTCP, ""}));
  EXPECT_EQ(pod->host_ports[1], (HostPort{53, Protocol::kUDP, "198.18.0.1"}));
  EXPECT_EQ(pod->node_selector, (LabelMap{{"disk", "ssd"}, {"gpu", "true"}}));
  ASSERT_EQ(pod->required_node_affinity.size(), 2u);
  EXPECT_EQ(pod->required_node_affinity[1].match_expressions[0].key, std::string(kHostnameLabel));
  ASSERT_EQ(pod->preferred_node_affinity.size(), 1u);
  EXPECT_EQ(pod->preferred_node_affinity[0].weight, 30);
  EXPECT_EQ(pod->preferred_node_affinity[0].preference.match_expressions[0].op, SelectorOperator::kGt);
  ASSERT_EQ(pod->required_pod_affinity.size(), 1u);
  EXPECT_EQ(pod->required_pod_affinity[0].selector.match_labels, (LabelMap{{"app", "cache"}}));
  ASSERT_EQ(pod->required_pod_anti_affinity.size(), 1u);
  EXPECT_EQ(pod->required_pod_anti_affinity[0].namespaces, std::vector<std::string>{"prod"});
  ASSERT_EQ(pod->preferred_pod_anti_affinity.size(), 1u);
  EXPECT_EQ(pod->preferred_pod_anti_affinity[0].weight, 100);
  ASSERT_EQ(pod->tolerations.size(), 3u);
  EXPECT_EQ(pod->tolerations[0], (Toleration{"dedicated", TolerationOperator::kEqual, "web", TaintEffect::kNoSchedule}));
  EXPECT_EQ(pod->tolerations[1], (Toleration{"", TolerationOperator::kExists, "", std::nullopt}));
  EXPECT_FALSE(pod->tolerations[2].effect.has_value());
  ASSERT_EQ(pod->topology_spread_constraints.size(), 2u);
  EXPECT_EQ(pod->topology_spread_constraints[0].when_unsatisfiable, WhenUnsatisfiable::kScheduleAnyway);
  EXPECT_EQ(pod->topology_spread_constraints[1].when_unsatisfiable, WhenUnsatisfiable::kDoNotSchedule);
  // No labelSelector: selects no pod.
  EXPECT_FALSE(Matches(pod->topology_spread_constraints[1].selector, {{"app", "web"}}));
  EXPECT_FALSE(Matches(pod->topology_spread_constraints[1].selector, {}));
}

TEST(PodRequestFromSpecTest, ErrorsNameTheField) {
  auto err = [](const char* json) {
    return PodRequestFromSpec(Parse(json), "default", "p", {}).status().message();
  };
  EXPECT_NE(err(R"({"containers": [{"resources": {"requests": {"cpu": "lots"}}}]})")
                .find("spec.containers[0].resources.requests.cpu: 'lots' is not a cpu quantity"),
            std::string::npos);
  EXPECT_NE(err(R"({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]},
                     "topologyKey": "zone"}]}}})")
                .find("unknown operator 'Gt'"),
            std::string::npos);
  EXPECT_NE(err(R"({"tolerations": [{"key": "k", "effect": "Sometimes"}]})").find("spec.tolerations[0].effect"),
            std::string::npos);
  EXPECT_NE(err(R"({"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone"}]})").find("maxSkew"),
            std::string::npos);
  EXPECT_NE(err(R"({"containers": {}})").find("spec.containers: expected a list"), std::string::npos);
  EXPECT_NE(err(R"([])").find("expected a map"), std::string::npos);
}

TEST(NodeInfoFromObjectTest, NodeManifest) {
  auto node = NodeInfoFromObject(Parse(R"({
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "worker-1", "labels": {"zone": "a"}},
    "spec": {"unschedulable": true, "taints": [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]},
    "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
               "allocatable": {"cpu": "7800m", "memory": "30Gi"},
               "conditions": [{"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "False"}]}
  })"));
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  EXPECT_EQ(node->name, "worker-1");
  EXPECT_EQ(node->labels, (LabelMap{{"zone", "a"}}));
  EXPECT_TRUE(node->unschedulable);
  EXPECT_FALSE(node->ready);
  EXPECT_EQ(node->allocatable, (ResourceList{7800, 30ll << 30}));
  EXPECT_EQ(node->allocatable_pods, 110);
  EXPECT_EQ(node->taints, (std::vector<Taint>{{"dedicated", "db", TaintEffect::kNoSchedule}}));
  EXPECT_TRUE(NodeInfoFromObject(Parse(R"({"metadata": {}})")).status().IsInvalidArgument());
}

TEST(DescribedClusterTest, GroupsCountsAndLabels) {
  auto snap = ParseDescribedCluster("5x4cpu16Gi,2x8cpu32Gi:gpu=true:zone=b,500mcpu512Mi");
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_EQ(snap->nodes.size(), 8u);
  EXPECT_EQ(snap->nodes[0].name, "node-1");
  EXPECT_EQ(snap->nodes[0].allocatable, (ResourceList{4000, 16ll << 30}));
  EXPECT_TRUE(snap->nodes[4].labels.empty());
  EXPECT_EQ(snap->nodes[5].name, "node-6");
  EXPECT_EQ(snap->nodes[6].labels, (LabelMap{{"gpu", "true"}, {"zone", "b"}}));
  EXPECT_EQ(snap->nodes[7].allocatable, (ResourceList{500, 512ll << 20}));
  EXPECT_EQ(snap->nodes[7].allocatable_pods, 110);
}

TEST(DescribedClusterTest, Malformed) {
  for (const char* bad : {"", "5x", "4cpu", "x4cpu16Gi", "0x4cpu16Gi", "4cpu16Gi:gpu", "4cpu16Gi,", "4gb16Gi"}) {
    EXPECT_TRUE(ParseDescribedCluster(bad).status().IsInvalidArgument()) << bad;
  }
  EXPECT_NE(ParseDescribedCluster("4cpu16Gi:gpu").status().message().find("'gpu' is not key=value"),
            std::string::npos);
}

TEST(DescribedClusterTest, PlansPodsFromManifests) {
  auto snap = ParseDescribedCluster("3x4cpu16Gi,1x8cpu32Gi:gpu=true");
  ASSERT_TRUE(snap.ok());
  auto pod = PodRequestFromSpec(Parse(R"({"containers": [{"resources": {"requests": {"cpu": "3"}}}],
                                          "nodeSelector": {"gpu": "true"}})"),
                                "ml", "train-0", {});
  ASSERT_TRUE(pod.ok());
  PodRequest second = *pod;
  second.name = "train-1";
  PodRequest third = *pod;
  third.name = "train-2";
  auto placed = Schedule(*snap, {*pod, second, third});
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0].node, "node-4");
  EXPECT_EQ((*placed)[1].node, "node-4");
  EXPECT_EQ((*placed)[2].message, "0/4 nodes fit: 3 node affinity/selector mismatch, 1 insufficient cpu");
}

}  // namespace
}  // namespace gorch::planner

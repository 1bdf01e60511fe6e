// Agent flag parsing and the pod <-> JSON conversions the agent reports with.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gorch/agent/agent.h"
#include "pod_convert.h"

namespace gorch::agent {
namespace {

TEST(AgentFlags, LabelsAndTaints) {
  auto labels = ParseLabels("zone=a, disk=ssd");
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ((*labels)["zone"], "a");
  EXPECT_EQ((*labels)["disk"], "ssd");
  EXPECT_TRUE(ParseLabels("zone").status().IsInvalidArgument());
  auto taints = ParseTaints("gpu=true:NoSchedule,dedicated:NoExecute");
  ASSERT_TRUE(taints.ok());
  ASSERT_EQ(taints->size(), 2u);
  EXPECT_EQ((*taints)[0].key, "gpu");
  EXPECT_EQ((*taints)[0].value, "true");
  EXPECT_EQ((*taints)[0].effect, "NoSchedule");
  EXPECT_EQ((*taints)[1].value, "");
  EXPECT_TRUE(ParseTaints("gpu=true:Sometimes").status().IsInvalidArgument());
  EXPECT_TRUE(ParseTaints("gpu=true").status().IsInvalidArgument());
}

TEST(PodConvert, SpecFromStoreValue) {
  std::string value = R"({"managed":false,"object":{"metadata":{"name":"web-1","labels":{"app":"web"},
    "annotations":{"gorch.dev/hollow-fail":"true"}},"spec":{"nodeName":"n1","restartPolicy":"Never",
    "containers":[{"name":"web","image":"nginx","args":["-g"],"env":[{"name":"A","value":"1"}]}]},
    "status":{"phase":"Succeeded"}}})";
  std::string phase;
  auto spec = PodSpecFromStore("shop", "web-1", 42, value, &phase);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->uid, "shop/web-1@42");
  EXPECT_EQ(spec->restart_policy, "Never");
  ASSERT_EQ(spec->containers.size(), 1u);
  EXPECT_EQ(spec->containers[0].image, "nginx");
  EXPECT_EQ(spec->containers[0].env[0].second, "1");
  EXPECT_EQ(spec->labels["app"], "web");
  EXPECT_EQ(phase, "Succeeded");
  EXPECT_TRUE(PodSpecFromStore("shop", "x", 1, "[]", nullptr).status().IsInvalidArgument());
}

TEST(PodConvert, StatusJsonCarriesPhaseReadinessAndContainers) {
  PodState state;
  state.phase = PodPhase::kRunning;
  state.pod_ip = "198.19.0.1";
  state.started_at_ms = 1'700'000'000'000;
  state.containers.push_back({"web", "nginx", ContainerState::kRunning, true, 0, 2, "", state.started_at_ms, 0});
  auto j = nlohmann::json::parse(PodStatusJson(state, ""));
  EXPECT_EQ(j["phase"], "Running");
  EXPECT_EQ(j["conditions"][0]["type"], "Ready");
  EXPECT_EQ(j["conditions"][0]["status"], "True");
  EXPECT_EQ(j["containerStatuses"][0]["restartCount"], 2);
  EXPECT_EQ(j["podIP"], "198.19.0.1");
  EXPECT_EQ(j["startTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(PodStatusJson(state, ""), PodStatusJson(state, ""));  // deterministic
  state.containers[0].ready = false;
  EXPECT_EQ(nlohmann::json::parse(PodStatusJson(state, ""))["conditions"][0]["status"], "False");
}

}  // namespace
}  // namespace gorch::agent

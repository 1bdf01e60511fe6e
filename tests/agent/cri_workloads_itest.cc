// Workloads end to end on real containers (cri_harness.h: a real `gorch server`,
// a real `gorch agent --runtime cri --pod-network cni` on a private containerd
// whose pods get their own addresses in 198.18.8.0/24, manifests applied with
// `gorch apply`):
// - readiness gates a rolling update: a new template whose readiness never passes
//   leaves the old pods running and Ready, and the Deployment never below its
//   replicas; a good template then finishes the rollout;
// - a StatefulSet pod keeps its PersistentVolumeClaim's data when its container is
//   killed and when the pod itself is removed and made again.
#include <set>

#include "cri_harness.h"

namespace gorch::agent::testing {
namespace {

// Deployment web in namespace roll: 2 replicas of a busybox httpd on 8080, rolled
// with maxUnavailable 0 / maxSurge 1, Ready through an httpGet probe on
// probe_port. version is written into the page (and so changes the template).
std::string WebDeployment(const std::string& version, int probe_port) {
  return R"(apiVersion: v1
kind: Namespace
metadata:
  name: roll
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: roll
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: localhost/busybox:1
          command: ["sh", "-c", "mkdir -p /www; echo )" +
         version + R"( > /www/index.html; exec httpd -f -p 8080 -h /www"]
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {path: /index.html, port: )" +
         std::to_string(probe_port) + R"(}
            periodSeconds: 1
)";
}

// StatefulSet web in namespace state with a volumeClaimTemplate "data": the
// container writes a fresh random id into the claim only when the file is absent,
// then prints what the file holds.
const char* kStatefulSet = R"(apiVersion: v1
kind: Namespace
metadata:
  name: state
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: state
spec:
  clusterIP: None
  selector: {app: store}
  ports:
    - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
  namespace: state
spec:
  serviceName: web
  replicas: REPLICAS
  selector:
    matchLabels: {app: store}
  template:
    metadata:
      labels: {app: store}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
        - name: main
          image: localhost/busybox:1
          command: ["sh", "-c", "[ -f /data/x ] || cat /proc/sys/kernel/random/uuid > /data/x; echo data=$(cat /data/x); exec sleep 3600"]
          volumeMounts:
            - name: data
              mountPath: /data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
)";

std::string StatefulSet(int replicas) {
  std::string s = kStatefulSet;
  s.replace(s.find("REPLICAS"), 8, std::to_string(replicas));
  return s;
}

// The suite's containerd gives each pod its own network namespace (two httpd on
// one port), and the agent asks for that.
class CriWorkloadsTest : public CriAgentTest {
 protected:
  static void SetUpTestSuite() {
    if (access("/usr/lib/cni/bridge", X_OK) != 0) return;
    StartSuiteContainerd("198.18.8.0/24", "gorchtest8");
  }
  void SetUp() override {
    if (access("/usr/lib/cni/bridge", X_OK) != 0) GTEST_SKIP() << "no CNI plugins in /usr/lib/cni";
    CriAgentTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    agent_args_ = {"--pod-network", "cni"};
    StartAgent();
  }

  static std::string Name(const Json& pod) { return pod["metadata"].value("name", ""); }
  static std::string ContainerId(const Json& pod) {
    const Json& st = pod.value("status", Json::object());
    if (!st.contains("containerStatuses") || st["containerStatuses"].empty()) return "";
    return st["containerStatuses"][0].value("containerID", "");
  }
  static std::string Phase(const Json& pod) { return pod.value("status", Json::object()).value("phase", ""); }
  static std::string Dump(const std::vector<Json>& pods) {
    std::string out;
    for (const auto& p : pods)
      out += Name(p) + " " + Phase(p) + (PodReady(p) ? " ready" : " not-ready") + "\n";
    return out;
  }
};

TEST_F(CriWorkloadsTest, ReadinessGatesARollingUpdate) {
  std::string out;
  ASSERT_EQ(Apply(WebDeployment("v1", 8080), &out), 0) << out;
  std::vector<Json> pods;
  ASSERT_TRUE(WaitFor([&] {
    pods = Pods("roll");
    return pods.size() == 2 && PodReady(pods[0]) && PodReady(pods[1]) &&
           ObjectStatus("Deployment", "roll", "web").value("availableReplicas", 0) == 2;
  }, 60s)) << Dump(pods);
  std::set<std::string> old_names;
  for (const auto& p : pods) old_names.insert(Name(p));
  // Each has its own address on the bridge, where the probe reached it.
  EXPECT_NE(pods[0]["status"].value("podIP", ""), pods[1]["status"].value("podIP", ""));

  // A template whose readiness never passes: nothing listens on 8081.
  ASSERT_EQ(Apply(WebDeployment("v2", 8081), &out), 0) << out;
  Json surged;
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& p : Pods("roll"))
      if (!old_names.count(Name(p)) && Phase(p) == "Running") {
        surged = p;
        return true;
      }
    return false;
  }, 40s)) << "no new pod Running; pods:\n" << Dump(Pods("roll"));
  const std::string surged_name = Name(surged);

  // Watch a while: the new pod runs but is never Ready, the old ones stay Ready,
  // the Deployment never has fewer than 2 available, and no second new pod comes.
  const auto until = std::chrono::steady_clock::now() + 6s;
  int looks = 0;
  while (std::chrono::steady_clock::now() < until) {
    pods = Pods("roll");
    int old_ready = 0, fresh = 0;
    for (const auto& p : pods) {
      if (old_names.count(Name(p))) {
        old_ready += PodReady(p) ? 1 : 0;
      } else {
        ++fresh;
        EXPECT_EQ(Name(p), surged_name) << "a second new pod while the first is not Ready:\n" << Dump(pods);
        EXPECT_EQ(Phase(p), "Running") << Dump(pods);
        EXPECT_FALSE(PodReady(p)) << "the new pod's readiness cannot pass:\n" << Dump(pods);
      }
    }
    EXPECT_EQ(old_ready, 2) << Dump(pods);
    EXPECT_EQ(fresh, 1) << Dump(pods);
    EXPECT_GE(ObjectStatus("Deployment", "roll", "web").value("availableReplicas", 0), 2);
    if (HasFailure()) break;
    ++looks;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_GT(looks, 5);
  // The old pods' containers were never restarted.
  for (const auto& p : Pods("roll")) {
    if (old_names.count(Name(p))) EXPECT_EQ(p["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  }

  // A good template: the rollout finishes, with only new pods, all Ready.
  ASSERT_EQ(Apply(WebDeployment("v3", 8080), &out), 0) << out;
  ASSERT_EQ(Cli({"rollout", "status", "deployment/web", "-n", "roll", "--timeout", "90"}, &out), 0) << out;
  EXPECT_NE(out.find("successfully rolled out"), std::string::npos) << out;
  ASSERT_TRUE(WaitFor([&] {
    pods = Pods("roll");
    if (pods.size() != 2) return false;
    for (const auto& p : pods)
      if (old_names.count(Name(p)) || Name(p) == surged_name || !PodReady(p)) return false;
    return true;
  }, 30s)) << Dump(pods);
  EXPECT_EQ(ObjectStatus("Deployment", "roll", "web").value("availableReplicas", 0), 2);
}

TEST_F(CriWorkloadsTest, StatefulSetPodKeepsItsClaimDataAcrossRestarts) {
  std::string out;
  ASSERT_EQ(Apply(StatefulSet(1), &out), 0) << out;
  const fs::path data = root_ / "agent" / "pvc" / "state" / "data-web-0" / "x";
  Json pod;
  ASSERT_TRUE(WaitFor([&] {
    auto pods = Pods("state");
    if (pods.size() != 1) return false;
    pod = pods[0];
    return Name(pod) == "web-0" && PodReady(pod) && fs::exists(data);
  }, 40s)) << pod.dump();
  const std::string first = ReadFile(data);
  ASSERT_GE(first.size(), 32u) << first;
  const std::string line = "data=" + first.substr(0, first.find('\n'));
  auto logs_show = [&](const std::string& want) {
    return WaitFor([&] {
      return Cli({"logs", "web-0", "-n", "state"}, &out) == 0 && out.find(want) != std::string::npos;
    });
  };
  ASSERT_TRUE(logs_show(line)) << out;

  // 1. Its container is killed: the agent runs it again in the same pod, the file kept.
  const std::string container_id = ContainerId(pod);
  ASSERT_EQ(container_id.rfind("containerd://", 0), 0u) << container_id;
  ::runtime::v1::StopContainerRequest stop;
  stop.set_container_id(container_id.substr(std::string("containerd://").size()));
  stop.set_timeout(0);
  ASSERT_TRUE(Client().Runtime(&::runtime::v1::RuntimeService::Stub::StopContainer, stop).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto pods = Pods("state");
    if (pods.size() != 1) return false;
    pod = pods[0];
    return PodReady(pod) && pod["status"]["containerStatuses"][0].value("restartCount", 0) >= 1;
  }, 40s)) << pod.dump();
  EXPECT_EQ(ReadFile(data), first);
  EXPECT_TRUE(logs_show(line)) << out;

  // 2. The pod goes away (scaled to 0) and the controller makes web-0 again: a new
  // pod (new sandbox, new container) names the same claim and finds the same data.
  const std::string old_container = ContainerId(pod);
  ASSERT_EQ(Apply(StatefulSet(0), &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] { return Pods("state").empty() && SandboxCount() == 0; }, 40s))
      << Dump(Pods("state")) << SandboxCount() << " sandboxes";
  EXPECT_EQ(ReadFile(data), first) << "the claim's folder outlives its pod";
  ASSERT_EQ(Apply(StatefulSet(1), &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] {
    auto pods = Pods("state");
    if (pods.size() != 1) return false;
    pod = pods[0];
    return Name(pod) == "web-0" && PodReady(pod) && ContainerId(pod) != old_container;
  }, 40s)) << pod.dump();
  EXPECT_EQ(pod["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  EXPECT_EQ(ReadFile(data), first);
  EXPECT_TRUE(logs_show(line)) << out;
}

}  // namespace
}  // namespace gorch::agent::testing

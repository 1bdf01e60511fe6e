// End to end on real containers: a real `gorch server`, a real `gorch agent
// --runtime cri` on a private containerd, manifests applied with `gorch apply`.
// A Deployment's pod runs with its ConfigMap and Secret, `gorch logs` reads it, a
// kill -9'ed agent is replaced by one that adopts the pod without restarting it,
// and deleting the workload leaves nothing in containerd.
#include "cri_harness.h"

namespace gorch::agent::testing {
namespace {

using gorch::testing::RunCli;
using gorch::testing::Spawn;
using gorch::testing::Stop;

const char* kManifests = R"(apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: demo
data:
  GREETING: hello-from-configmap
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: demo
stringData:
  token: t0k3n
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 1
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
          command: ["sh", "-c", "echo greeting=$GREETING token=$(cat /secret/token); mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 127.0.0.1:18090 -h /www"]
          env:
            - name: GREETING
              valueFrom:
                configMapKeyRef: {name: web-config, key: GREETING}
          readinessProbe:
            httpGet: {path: /index.html, port: 18090}
            periodSeconds: 1
          volumeMounts:
            - name: secret
              mountPath: /secret
      volumes:
        - name: secret
          secret:
            secretName: web-secret
)";

TEST_F(CriAgentTest, DeploymentRunsLogsAdoptsAndCleansUp) {
  std::string out;
  StartAgent();
  ASSERT_EQ(Apply(kManifests, &out), 0) << out;
  Json pod = ReadyPod();
  const std::string name = pod["metadata"]["name"];
  const std::string container_id = pod["status"]["containerStatuses"][0].value("containerID", "");
  EXPECT_NE(container_id, "");

  // gorch logs, through the agent's endpoint.
  ASSERT_TRUE(WaitFor([&] {
    return RunCli({"logs", name, "-n", "demo", "--server", address_}, &out) == 0 &&
           out.find("greeting=hello-from-configmap token=t0k3n") != std::string::npos;
  })) << out << [&] {
    std::string node;
    RunCli({"get", "node", "n1", "-o", "json", "--server", address_}, &node);
    return node;
  }();
  EXPECT_EQ(out.find(" stdout F "), std::string::npos) << "CRI framing must be stripped: " << out;
  EXPECT_NE(RunCli({"logs", "nope", "-n", "demo", "--server", address_}, &out), 0);
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
  // --tail 1: the last line; --tail 0 -f: none of what is written already, only what comes.
  ASSERT_EQ(RunCli({"logs", name, "-n", "demo", "--tail", "1", "--server", address_}, &out), 0);
  EXPECT_NE(out.find("greeting="), std::string::npos) << out;
  pid_t fresh = Spawn({"logs", name, "-n", "demo", "-f", "--tail", "0", "--server", address_}, root_ / "fresh.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // long enough for old lines to arrive, if sent
  EXPECT_EQ(ReadFile(root_ / "fresh.log").find("greeting="), std::string::npos) << ReadFile(root_ / "fresh.log");
  Stop(fresh, SIGTERM);

  // kill -9 the agent, start another: the same container goes on, not restarted.
  Stop(agent_, SIGKILL);
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return ReadFile(root_ / "agent.log").find("adopted sandbox") != std::string::npos; }))
      << ReadFile(root_ / "agent.log");
  pod = ReadyPod();
  EXPECT_EQ(pod["status"]["containerStatuses"][0].value("containerID", ""), container_id);
  EXPECT_EQ(pod["status"]["containerStatuses"][0].value("restartCount", -1), 0);
  EXPECT_EQ(SandboxCount(), 1u);

  // The workload leaves git while the agent is down: the next agent removes the
  // sandbox of the pod no longer bound to it.
  const std::string no_workload = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n";
  Stop(agent_, SIGKILL);
  ASSERT_EQ(Apply(no_workload, &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] { return Pods().empty(); }, 30s));
  EXPECT_EQ(SandboxCount(), 1u);
  StartAgent();
  EXPECT_TRUE(WaitFor([&] { return SandboxCount() == 0 && ContainerCount() == 0; }, 20s))
      << SandboxCount() << " sandboxes, " << ContainerCount() << " containers left";

  // And with the agent up: back in git, runs; out of git, nothing is left in containerd.
  ASSERT_EQ(Apply(kManifests, &out), 0) << out;
  pod = ReadyPod();
  // `gorch logs -f` streams until the pod is gone.
  pid_t follow = Spawn({"logs", pod["metadata"]["name"], "-n", "demo", "-f", "--server", address_},
                       root_ / "follow.log");
  ASSERT_TRUE(WaitFor([&] { return ReadFile(root_ / "follow.log").find("greeting=") != std::string::npos; }))
      << ReadFile(root_ / "follow.log");
  ASSERT_EQ(Apply(no_workload, &out), 0) << out;
  ASSERT_TRUE(WaitFor([&] { return Pods().empty(); }, 30s));
  int status = 0;
  bool ended = WaitFor([&] { return ::waitpid(follow, &status, WNOHANG) == follow; }, 15s);
  EXPECT_TRUE(ended) << "gorch logs -f did not end with its pod";
  if (!ended) Stop(follow, SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return SandboxCount() == 0 && ContainerCount() == 0; }, 20s))
      << SandboxCount() << " sandboxes, " << ContainerCount() << " containers left";
  EXPECT_TRUE(fs::is_empty(root_ / "agent" / "pods"));
  EXPECT_TRUE(fs::is_empty(root_ / "agent" / "logs"));
}

// Two nodes, each an agent on its own containerd: the pod of the node whose agent
// stops moves to the other one once the first is NotReady, and runs there.
TEST_F(CriAgentTest, PodsMoveToTheOtherNodeWhenAnAgentStops) {
  ContainerdOptions o;
  o.dir = root_ / "ctrd2";
  auto second = PrivateContainerd::Start(o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(ImportImages((*second)->Endpoint()).ok());
  auto sandboxes = [](PrivateContainerd& c) {
    auto list = CriClient(c.Endpoint(), 10s)
                    .Runtime(&::runtime::v1::RuntimeService::Stub::ListPodSandbox, ::runtime::v1::ListPodSandboxRequest());
    return list.ok() ? list->items_size() : -1;
  };
  StartAgent();
  pid_t agent2 = SpawnAgent("n2", (*second)->Endpoint(), root_ / "agent2");
  std::string out;
  ASSERT_EQ(Apply(kManifests, &out), 0) << out;
  Json pod = ReadyPod();
  const std::string first_node = pod["spec"]["nodeName"];
  pid_t& first_agent = first_node == "n1" ? agent_ : agent2;
  Stop(first_agent, SIGTERM);
  first_agent = 0;
  Json moved;
  EXPECT_TRUE(WaitFor([&] {
    auto pods = Pods();
    for (const auto& p : pods) {
      if (p["spec"].value("nodeName", "") == first_node || p.value("status", Json::object()).value("phase", "") != "Running")
        continue;
      moved = p;
      return true;
    }
    return false;
  }, 60s)) << "no pod running on the other node";
  // It runs in the other node's containerd.
  EXPECT_GE(first_node == "n1" ? sandboxes(**second) : static_cast<int>(SandboxCount()), 1);
  if (agent2 > 0) Stop(agent2, SIGTERM);
  EXPECT_TRUE((*second)->Stop().ok());
}

}  // namespace
}  // namespace gorch::agent::testing

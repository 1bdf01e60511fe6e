// The control plane as a user runs it: a real `gorch server` process on a free
// loopback port with a temporary data directory, hollow agents as `gorch agent`
// processes, and the API driven through engine::GorchClient (and the CLI).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gorch/compiler/compile.h"
#include "gorch/engine/client.h"
#include "gorch/planner/plan.h"
#include "gorch_process.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace gorch::engine {
namespace {

using testing::FreePort;
using testing::GorchBinary;
using testing::RunCli;
using testing::Spawn;
using testing::Stop;

const lang::SchemaSet& Schemas() {
  static auto* set = [] {
    lang::Diagnostics diags;
    return lang::LoadSchemas({}, diags).release();
  }();
  return *set;
}

compiler::DesiredState CompileDir(const std::string& dir) {
  compiler::CompileOptions options;
  options.path = dir;
  auto r = compiler::Compile(options);
  EXPECT_TRUE(r.ok()) << (r.diags.all().empty() ? "" : r.diags.all()[0].ToString());
  return std::move(r.state);
}

compiler::DesiredState CompileFiles(std::map<std::string, std::string> files) {
  auto source = compiler::MakeMemorySource(std::move(files));
  auto r = compiler::CompileSource(*source, Schemas(), {});
  EXPECT_TRUE(r.ok()) << (r.diags.all().empty() ? "" : r.diags.all()[0].ToString());
  return std::move(r.state);
}

std::string ConfigMap(const std::string& name, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  VALUE: \"" + value + "\"\n";
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-server-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(GorchBinary())) << GorchBinary();
    address_ = "127.0.0.1:" + std::to_string(FreePort());
    StartServer();
    ClientOptions options;
    options.address = address_;
    options.timeout = std::chrono::seconds(5);
    auto c = GorchClient::Connect(options);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
  }

  void TearDown() override {
    for (pid_t pid : agents_) Stop(pid, SIGTERM);
    if (server_ > 0) Stop(server_, SIGTERM);
    if (HasFailure()) {
      std::ifstream in(dir_ / "server.log");
      std::cerr << "---- server log ----\n" << in.rdbuf() << "\n";
    }
    fs::remove_all(dir_);
  }

  // node_grace and heartbeat_ttl in seconds.
  void StartServer(const std::string& node_grace = "30", const std::string& heartbeat_ttl = "10") {
    std::vector<std::string> args = {"server",       "--data",     (dir_ / "data").string(), "--listen",
                                     address_,       "--node-grace", node_grace,             "--heartbeat-ttl",
                                     heartbeat_ttl};
    server_ = Spawn(args, dir_ / "server.log");
  }

  void StartAgents(int n) {
    for (int i = 1; i <= n; ++i)
      agents_.push_back(Spawn({"agent", "--runtime", "hollow", "--server", address_, "--node", "n" + std::to_string(i),
                               "--labels", "zone=z" + std::to_string(i % 2)},
                              dir_ / ("agent-" + std::to_string(i) + ".log")));
  }

  // Polls `done` every 100 ms for up to 30 s (however long each poll takes).
  bool Eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::vector<Json> List(const std::string& kind, const std::string& ns) {
    v1::ListRequest req;
    req.set_kind(kind);
    req.set_namespace_(ns);
    req.set_all_namespaces(ns.empty());
    auto r = client_->List(req);
    std::vector<Json> out;
    if (!r.ok()) return out;
    for (const auto& o : r->objects()) out.push_back(Json::parse(o.json())["object"]);
    return out;
  }

  planner::Plan PlanFor(const compiler::DesiredState& desired, bool prune = true) {
    auto live = client_->ReadLiveState();
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    planner::PlanOptions options;
    options.diff.prune = prune;
    if (!live->nodes.nodes.empty()) options.cluster = &live->nodes;
    auto plan = planner::MakePlan(desired, live->live, Schemas(), options);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    return *plan;
  }

  fs::path dir_;
  std::string address_;
  pid_t server_ = -1;
  std::vector<pid_t> agents_;
  std::unique_ptr<GorchClient> client_;
};

TEST_F(ServerTest, AgentsRegisterAndShopPodsRunOnThem) {
  StartAgents(3);
  ASSERT_TRUE(Eventually([&] { return List("Node", "").size() == 3; }));
  for (const Json& node : List("Node", "")) {
    EXPECT_EQ(node["status"]["conditions"][0]["status"], "True");
    EXPECT_EQ(node["metadata"]["labels"]["kubernetes.io/hostname"], node["metadata"]["name"]);
  }
  auto plan = PlanFor(CompileDir(std::string(GORCH_SOURCE_DIR) + "/examples/shop"));
  auto applied = client_->ApplyPlan(plan.ToJson(), plan.base_revision);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_GT(applied->created(), 0);

  // Every web pod is bound to a registered node and reported Running and Ready.
  bool running = Eventually([&] {
    int ready = 0;
    for (const Json& pod : List("Pod", "shop")) {
      if (pod["metadata"]["name"].get<std::string>().rfind("web-", 0) != 0) continue;
      const Json& st = pod.value("status", Json::object());
      if (st.value("phase", "") == "Running" && st["conditions"][0]["status"] == "True") ++ready;
    }
    return ready == 3;
  });
  ASSERT_TRUE(running);
  for (const Json& pod : List("Pod", "shop")) {
    std::string node = pod["spec"].value("nodeName", "");
    EXPECT_TRUE(node == "n1" || node == "n2" || node == "n3") << pod.dump();
  }
  // The Job's hollow pod runs to completion.
  EXPECT_TRUE(Eventually([&] {
    for (const Json& pod : List("Pod", "shop"))
      if (pod["metadata"]["name"].get<std::string>().rfind("db-migrate", 0) == 0 &&
          pod["status"].value("phase", "") == "Succeeded")
        return true;
    return false;
  }));
  // The CLI shows them.
  std::string out;
  ASSERT_EQ(RunCli({"get", "pods", "-n", "shop", "--server", address_}, &out), 0) << out;
  EXPECT_NE(out.find("NAME"), std::string::npos);
  EXPECT_NE(out.find("Running"), std::string::npos);
  ASSERT_EQ(RunCli({"get", "deploy", "web", "-n", "shop", "-o", "json", "--server", address_}, &out), 0) << out;
  EXPECT_EQ(Json::parse(out)["metadata"]["name"], "web");
}

TEST_F(ServerTest, StalePlanIsRefusedThroughTheApiAndTheCli) {
  auto first = PlanFor(CompileFiles({{"a.yaml", ConfigMap("a", "1")}}));
  auto stale = PlanFor(CompileFiles({{"a.yaml", ConfigMap("a", "2")}}));
  ASSERT_TRUE(client_->ApplyPlan(first.ToJson(), first.base_revision).ok());
  auto refused = client_->ApplyPlan(stale.ToJson(), stale.base_revision);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsFailedPrecondition()) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("stale plan"), std::string::npos);

  fs::path plan_file = dir_ / "stale.plan";
  std::ofstream(plan_file) << stale.ToJson();
  std::string out;
  EXPECT_EQ(RunCli({"apply", plan_file.string(), "--server", address_}, &out), 1);
  EXPECT_NE(out.find("stale plan"), std::string::npos) << out;

  auto got = client_->Get("ConfigMap", "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Json::parse(got->object().json())["object"]["data"]["VALUE"], "1");
}

TEST_F(ServerTest, BadRequestsGetClearErrors) {
  auto bad_plan = client_->ApplyPlan("{not json", 0);
  EXPECT_TRUE(bad_plan.status().IsInvalidArgument()) << bad_plan.status().ToString();
  auto missing = client_->Get("Pod", "default", "nope");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  auto bad_name = client_->Get("Pod", "a/b", "x");
  EXPECT_TRUE(bad_name.status().IsInvalidArgument());
  v1::ListRequest req;
  req.set_kind("Pod");
  req.set_label_selector("a=(b");
  EXPECT_TRUE(client_->List(req).status().IsInvalidArgument());
  v1::RegisterNodeRequest node;
  node.set_name("n1");
  node.set_cpu("lots");
  EXPECT_TRUE(client_->RegisterNode(node).status().IsInvalidArgument());
  EXPECT_TRUE(client_->Heartbeat("n1", 12345).status().IsNotFound());
}

TEST_F(ServerTest, KillNineAndRestartKeepsTheState) {
  StartAgents(1);
  ASSERT_TRUE(Eventually([&] { return List("Node", "").size() == 1; }));
  auto plan = PlanFor(CompileFiles({{"a.yaml", ConfigMap("kept", "yes")}}));
  auto applied = client_->ApplyPlan(plan.ToJson(), plan.base_revision);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();

  Stop(server_, SIGKILL);
  StartServer();
  auto got = client_->Get("ConfigMap", "default", "kept");  // waits for the server to be back
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Json::parse(got->object().json())["object"]["data"]["VALUE"], "yes");
  EXPECT_GE(got->revision(), applied->revision());
  EXPECT_EQ(List("Node", "").size(), 1u);
  // A plan made now is not stale, and re-planning the same source changes nothing.
  auto again = PlanFor(CompileFiles({{"a.yaml", ConfigMap("kept", "yes")}}));
  EXPECT_FALSE(again.HasChanges());
}

TEST_F(ServerTest, ConcurrentAppliesNeverLoseEachOthersChanges) {
  auto a = CompileFiles({{"a.yaml", ConfigMap("from-a", "a")}});
  auto b = CompileFiles({{"b.yaml", ConfigMap("from-b", "b")}});
  // Both plans from the same base: one wins, the other is stale.
  auto plan_a = PlanFor(a, /*prune=*/false);
  auto plan_b = PlanFor(b, /*prune=*/false);
  Result<v1::ApplyPlanResponse> ra = Status::Internal("unset"), rb = Status::Internal("unset");
  std::thread ta([&] { ra = client_->ApplyPlan(plan_a.ToJson(), plan_a.base_revision); });
  std::thread tb([&] { rb = client_->ApplyPlan(plan_b.ToJson(), plan_b.base_revision); });
  ta.join();
  tb.join();
  ASSERT_NE(ra.ok(), rb.ok()) << ra.status().ToString() << " / " << rb.status().ToString();
  const auto& loser = ra.ok() ? rb : ra;
  EXPECT_TRUE(loser.status().IsFailedPrecondition()) << loser.status().ToString();
  // The loser plans again against the new live state and succeeds.
  auto replanned = PlanFor(ra.ok() ? b : a, /*prune=*/false);
  auto retried = client_->ApplyPlan(replanned.ToJson(), replanned.base_revision);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_TRUE(client_->Get("ConfigMap", "default", "from-a").ok());
  EXPECT_TRUE(client_->Get("ConfigMap", "default", "from-b").ok());
}

TEST_F(ServerTest, ApplyWaitFailsWhenARolloutNeverBecomesReady) {
  StartAgents(1);
  ASSERT_TRUE(Eventually([&] { return List("Node", "").size() == 1; }));
  fs::create_directories(dir_ / "stuck");
  std::ofstream(dir_ / "stuck" / "deploy.yaml") << R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
spec:
  replicas: 1
  progressDeadlineSeconds: 1
  selector:
    matchLabels:
      app: stuck
  template:
    metadata:
      labels:
        app: stuck
      annotations:
        gorch.dev/hollow-never-ready: "true"
    spec:
      containers:
        - name: main
          image: busybox
)";
  std::string out;
  EXPECT_EQ(RunCli({"apply", (dir_ / "stuck").string(), "--server", address_, "--wait", "--timeout", "20"}, &out), 1);
  EXPECT_NE(out.find("Deployment/default/stuck: rollout failed"), std::string::npos) << out;
  // The pod itself runs (bound, Running) but is not Ready.
  auto pods = List("Pod", "default");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["status"]["phase"], "Running");
  EXPECT_EQ(pods[0]["status"]["conditions"][0]["status"], "False");
  // The node's registration is an event.
  v1::ListEventsRequest req;
  req.set_all_namespaces(true);
  req.set_involved_kind("Node");
  auto events = client_->ListEvents(req);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->events().empty());
  EXPECT_EQ(Json::parse(events->events(0).json())["object"]["reason"], "Registered");
}

TEST_F(ServerTest, PodsOfADeadAgentMoveToALiveNode) {
  // Short leases and grace period, so that a dead agent is noticed quickly.
  Stop(server_, SIGTERM);
  StartServer(/*node_grace=*/"1", /*heartbeat_ttl=*/"2");
  StartAgents(2);
  ASSERT_TRUE(Eventually([&] { return List("Node", "").size() == 2; }));
  auto plan = PlanFor(CompileFiles({{"d.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  replicas: 4
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
        - name: main
          image: busybox
)"}}));
  ASSERT_TRUE(client_->ApplyPlan(plan.ToJson(), plan.base_revision).ok());
  auto running_on = [&](const std::string& node) {
    int n = 0;
    for (const Json& pod : List("Pod", "default"))
      if (pod["spec"].value("nodeName", "") == node && pod.contains("status") &&
          pod["status"].value("phase", "") == "Running")
        ++n;
    return n;
  };
  ASSERT_TRUE(Eventually([&] { return running_on("n1") + running_on("n2") == 4; }));
  ASSERT_GT(running_on("n1"), 0) << "the scheduler put nothing on n1";
  Stop(agents_[0], SIGKILL);  // n1's agent dies
  agents_.erase(agents_.begin());
  EXPECT_TRUE(Eventually([&] { return running_on("n2") == 4; }));
  EXPECT_EQ(running_on("n1"), 0);
}

TEST_F(ServerTest, WatchResumesFromARevisionWithoutGaps) {
  std::vector<int64_t> applied_revisions;
  for (int i = 0; i < 3; ++i) {
    auto plan = PlanFor(CompileFiles({{"a.yaml", ConfigMap("w", std::to_string(i))}}));
    auto r = client_->ApplyPlan(plan.ToJson(), plan.base_revision);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    applied_revisions.push_back(r->revision());
  }
  // From the second apply on: exactly the second and third versions, in order.
  v1::WatchRequest req;
  req.set_kind("ConfigMap");
  req.set_namespace_("default");
  req.set_start_revision(applied_revisions[1]);
  std::vector<std::string> values;
  Status s = client_->Watch(req, [&](const v1::WatchEvent& e) {
    values.push_back(Json::parse(e.object().json())["object"]["data"]["VALUE"]);
    return values.size() < 2;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(values, (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace gorch::engine

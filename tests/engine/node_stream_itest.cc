// The agent side of the API against a real `gorch server` process: a node
// registered through the raw gRPC stub (no agent runs, so the test is the only one
// reporting status), the pod stream with and without `bindings_only`, and pod
// status reports in one batch.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gorch/compiler/compile.h"
#include "gorch/engine/client.h"
#include "gorch/planner/plan.h"
#include "gorch/v1/gorch.grpc.pb.h"
#include "gorch_process.h"

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace gorch::engine {
namespace {

using testing::FreePort;
using testing::GorchBinary;
using testing::Spawn;
using testing::Stop;

std::string DeploymentYaml(int replicas) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n"
         "  replicas: " +
         std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
         "    spec:\n      containers:\n        - name: c\n          image: localhost/busybox:1\n";
}

class NodeStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gorch-nodestream-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(fs::exists(GorchBinary())) << GorchBinary();
    address_ = "127.0.0.1:" + std::to_string(FreePort());
    server_ = Spawn({"server", "--data", (dir_ / "data").string(), "--listen", address_, "--heartbeat-ttl", "60",
                     "--node-grace", "600"},
                    dir_ / "server.log");
    ClientOptions options;
    options.address = address_;
    options.timeout = std::chrono::seconds(10);
    auto c = GorchClient::Connect(options);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
    stub_ = v1::Gorch::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
    lang::Diagnostics diags;
    schemas_ = lang::LoadSchemas({}, diags);
    ASSERT_TRUE(schemas_);
  }

  void TearDown() override {
    if (server_ > 0) Stop(server_, SIGTERM);
    if (HasFailure()) {
      std::ifstream in(dir_ / "server.log");
      std::cerr << "---- server log ----\n" << in.rdbuf() << "\n";
    }
    fs::remove_all(dir_);
  }

  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& f) {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return f(&ctx);
  }

  void RegisterNode(const std::string& name) {
    v1::RegisterNodeRequest req;
    req.set_name(name);
    req.set_cpu("8");
    req.set_memory("16Gi");
    req.set_runtime("test");
    v1::RegisterNodeResponse resp;
    grpc::Status s = Call([&](grpc::ClientContext* c) { return stub_->RegisterNode(c, req, &resp); });
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  void ApplyDeployment(int replicas) {
    auto source = compiler::MakeMemorySource({{"web.yaml", DeploymentYaml(replicas)}});
    auto compiled = compiler::CompileSource(*source, *schemas_, {});
    ASSERT_TRUE(compiled.ok());
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto live = client_->ReadLiveState();
      ASSERT_TRUE(live.ok()) << live.status().ToString();
      planner::PlanOptions po;
      po.cluster = &live->nodes;
      auto plan = planner::MakePlan(compiled.state, live->live, *schemas_, po);
      ASSERT_TRUE(plan.ok()) << plan.status().ToString();
      auto applied = client_->ApplyPlan(plan->ToJson(), plan->base_revision);
      if (applied.ok()) return;
      ASSERT_TRUE(applied.status().IsFailedPrecondition()) << applied.status().ToString();  // stale: again
    }
    FAIL() << "the plan kept going stale";
  }

  // Names of the pods bound to `node` (polled until there are `n`, up to 30 s).
  std::set<std::string> BoundPods(const std::string& node, size_t n) {
    std::set<std::string> out;
    for (int i = 0; i < 300 && out.size() < n; ++i) {
      out.clear();
      v1::ListRequest req;
      req.set_kind("Pod");
      req.set_namespace_("default");
      auto r = client_->List(req);
      if (r.ok())
        for (const auto& o : r->objects()) {
          Json pod = Json::parse(o.json())["object"];
          if (pod["spec"].value("nodeName", "") == node) out.insert(pod["metadata"]["name"].get<std::string>());
        }
      if (out.size() < n) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
  }

  fs::path dir_;
  std::string address_;
  pid_t server_ = -1;
  std::unique_ptr<GorchClient> client_;
  std::unique_ptr<v1::Gorch::Stub> stub_;
  std::unique_ptr<lang::SchemaSet> schemas_;
};

// A stream's events up to and including SYNCED, then the next `more` events.
struct Stream {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::NodePodEvent>> reader;
  std::vector<v1::NodePodEvent> Read(int n) {
    std::vector<v1::NodePodEvent> out;
    v1::NodePodEvent e;
    while (static_cast<int>(out.size()) < n && reader->Read(&e)) out.push_back(e);
    return out;
  }
};

TEST_F(NodeStreamTest, BindingsOnlyStreamSkipsStatusChangesAndABatchReportsEachPod) {
  RegisterNode("n1");
  ApplyDeployment(2);
  const std::set<std::string> first = BoundPods("n1", 2);
  ASSERT_EQ(first.size(), 2u);

  Stream all, bindings;
  for (auto [s, only] : {std::pair{&all, false}, std::pair{&bindings, true}}) {
    v1::WatchNodePodsRequest req;
    req.set_node("n1");
    req.set_bindings_only(only);
    s->reader = stub_->WatchNodePods(&s->ctx, req);
    auto listed = s->Read(3);  // both pods, then SYNCED
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[2].type(), v1::NodePodEvent::SYNCED);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(listed[i].type(), v1::NodePodEvent::PUT);
      EXPECT_TRUE(first.count(listed[i].pod().name())) << listed[i].pod().name();
      EXPECT_NE(listed[i].pod().json().find("\"nodeName\":\"n1\""), std::string::npos);  // the value came along
    }
  }

  // One batch: both pods Running, and one pod that does not exist.
  v1::UpdatePodStatusRequest req;
  req.set_node("n1");
  req.set_namespace_("default");
  req.set_name(*first.begin());
  req.set_status_json(R"({"phase":"Running"})");
  for (const std::string& name : {*first.begin(), *first.rbegin(), std::string("web-missing")}) {
    v1::PodStatusReport* p = req.add_batch();
    p->set_namespace_("default");
    p->set_name(name);
    p->set_status_json(R"({"phase":"Running"})");
  }
  v1::UpdatePodStatusResponse resp;
  grpc::Status s = Call([&](grpc::ClientContext* c) { return stub_->UpdatePodStatus(c, req, &resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.batch_size(), 3);
  EXPECT_EQ(resp.batch(0).code(), grpc::StatusCode::OK);
  EXPECT_EQ(resp.batch(1).code(), grpc::StatusCode::OK);
  EXPECT_EQ(resp.batch(0).revision(), resp.batch(1).revision());  // one transaction
  EXPECT_EQ(resp.batch(2).code(), grpc::StatusCode::NOT_FOUND) << resp.batch(2).message();
  for (const std::string& name : first) {
    auto got = client_->Get("Pod", "default", name);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Json::parse(got->object().json())["object"]["status"]["phase"], "Running");
  }
  // A pod bound elsewhere is refused, per pod.
  v1::UpdatePodStatusRequest other = req;
  other.set_node("n2");
  v1::UpdatePodStatusResponse other_resp;
  s = Call([&](grpc::ClientContext* c) { return stub_->UpdatePodStatus(c, other, &other_resp); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(other_resp.batch_size(), 3);
  EXPECT_EQ(other_resp.batch(0).code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A third pod: the plain stream first sees the two status changes, the
  // bindings-only stream only the new binding.
  ApplyDeployment(3);
  auto next_all = all.Read(2);
  ASSERT_EQ(next_all.size(), 2u);
  for (const auto& e : next_all) {
    EXPECT_EQ(e.type(), v1::NodePodEvent::PUT);
    EXPECT_TRUE(first.count(e.pod().name())) << e.pod().name();
  }
  auto next_bindings = bindings.Read(1);
  ASSERT_EQ(next_bindings.size(), 1u);
  EXPECT_EQ(next_bindings[0].type(), v1::NodePodEvent::PUT);
  EXPECT_FALSE(first.count(next_bindings[0].pod().name())) << next_bindings[0].pod().name();
  EXPECT_EQ(BoundPods("n1", 3).count(next_bindings[0].pod().name()), 1u);
  all.ctx.TryCancel();
  bindings.ctx.TryCancel();
}

}  // namespace
}  // namespace gorch::engine

// What the CRI integration tests share: a private containerd (containerd.h) in a
// temp dir with the local images imported, a CriRuntime on it with short
// backoffs, and waiting for a pod's state (CriTest); and, end to end, a real
// `gorch server` process with `gorch agent --runtime cri` processes on that
// containerd, manifests applied with `gorch apply`, pods read with the engine's
// client (CriAgentTest). Tests skip when containerd or root is missing.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cri_client.h"
#include "gorch/agent/containerd.h"
#include "gorch/agent/cri_runtime.h"
#include "gorch/agent/images.h"
#include "gorch/engine/client.h"
#include "gorch_process.h"

namespace gorch::agent::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream b;
  b << in.rdbuf();
  return b.str();
}

// Polls cond every 50 ms until it holds or `limit` passes; returns whether it held.
inline bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 20s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return cond();
}

// ImportLocalImages, tried up to three times: an import right after containerd
// started has been seen to fail once with "content digest … not found" (reported
// to the owner of images.cc).
inline Status ImportImages(const std::string& endpoint) {
  Status s;
  for (int i = 0; i < 3; ++i) {
    s = ImportLocalImages(endpoint);
    if (s.ok()) return s;
    std::this_thread::sleep_for(500ms);
  }
  return s;
}

inline ContainerSpec Busybox(const std::string& name, const std::string& script) {
  ContainerSpec c;
  c.name = name;
  c.image = std::string(kBusyboxImage);
  c.command = {"sh", "-c", script};
  return c;
}

inline PodSpec Pod(const std::string& name, std::vector<ContainerSpec> containers, const std::string& uid = "") {
  PodSpec p;
  p.namespace_ = "test";
  p.name = name;
  p.uid = uid.empty() ? "uid-" + name : uid;
  p.containers = std::move(containers);
  p.termination_grace_seconds = 0;
  return p;
}

// One private containerd for every test of a suite (starting one costs seconds).
class CriTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { StartSuiteContainerd("", ""); }
  // Starts the suite's containerd; with a pod_subnet (and its own bridge name) its
  // pods get their own network namespaces and addresses (agent --pod-network cni).
  static void StartSuiteContainerd(const std::string& pod_subnet, const std::string& bridge) {
    if (access("/usr/bin/containerd", X_OK) != 0 || geteuid() != 0) return;
    char tmpl[] = "/tmp/gorch-cri-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = new fs::path(tmpl);
    ContainerdOptions o;
    o.dir = *dir_ / "ctrd";
    o.pod_subnet = pod_subnet;
    if (!bridge.empty()) o.bridge = bridge;
    auto c = PrivateContainerd::Start(o);
    if (!c.ok()) {
      start_error_ = new std::string(c.status().ToString());
      return;
    }
    containerd_ = c->release();
    if (Status s = ImportImages(containerd_->Endpoint()); !s.ok()) start_error_ = new std::string(s.ToString());
  }
  static void TearDownTestSuite() {
    delete containerd_;
    containerd_ = nullptr;
    if (dir_) {
      std::error_code ec;
      fs::remove_all(*dir_, ec);
      delete dir_;
      dir_ = nullptr;
    }
  }
  void SetUp() override {
    if (access("/usr/bin/containerd", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/containerd";
    if (geteuid() != 0) GTEST_SKIP() << "containerd needs root";
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
    ASSERT_NE(containerd_, nullptr);
    root_ = *dir_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
  void TearDown() override {
    runtime_.reset();
    if (containerd_) {
      // Nothing a test made is left running for the next one.
      CriClient client(containerd_->Endpoint(), 10s);
      auto list = client.Runtime(&::runtime::v1::RuntimeService::Stub::ListPodSandbox,
                                 ::runtime::v1::ListPodSandboxRequest());
      if (list.ok())
        for (const auto& s : list->items()) {
          ::runtime::v1::StopPodSandboxRequest stop;
          stop.set_pod_sandbox_id(s.id());
          (void)client.Runtime(&::runtime::v1::RuntimeService::Stub::StopPodSandbox, stop);
          ::runtime::v1::RemovePodSandboxRequest rm;
          rm.set_pod_sandbox_id(s.id());
          (void)client.Runtime(&::runtime::v1::RuntimeService::Stub::RemovePodSandbox, rm);
        }
    }
  }

  CriOptions Options() {
    CriOptions o;
    o.endpoint = containerd_->Endpoint();
    o.root = root_;
    o.backoff_base = 200ms;
    o.backoff_cap = 2s;
    o.poll_interval = 100ms;
    o.stats_interval = 500ms;
    o.pull_timeout = 10s;
    o.get_object = [this](const std::string& kind, const std::string& ns, const std::string& name) -> Result<std::string> {
      auto it = objects_.find(kind + "/" + ns + "/" + name);
      if (it == objects_.end()) return Status::NotFound(kind + " " + name);
      return it->second;
    };
    return o;
  }
  CriRuntime& Runtime() {
    if (!runtime_) {
      auto r = CriRuntime::Connect(Options());
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      runtime_ = std::move(*r);
    }
    return *runtime_;
  }
  // The pod's state once pred holds (fails the test after 20 s, with the last state).
  PodState WaitState(const std::string& uid, const std::function<bool(const PodState&)>& pred,
                     std::chrono::milliseconds limit = 20s) {
    PodState last;
    bool ok = WaitFor([&] {
      auto s = runtime_->PodStatus(uid);
      if (!s.ok()) return false;
      last = *s;
      return pred(last);
    }, limit);
    EXPECT_TRUE(ok) << "pod " << uid << " never reached the state; last phase " << PodPhaseName(last.phase)
                    << (last.containers.empty() ? "" : ", container reason " + last.containers[0].reason + " " +
                                                           last.containers[0].message);
    return last;
  }
  CriClient Client() { return CriClient(containerd_->Endpoint(), 10s); }
  size_t SandboxCount() {
    auto list = Client().Runtime(&::runtime::v1::RuntimeService::Stub::ListPodSandbox,
                                 ::runtime::v1::ListPodSandboxRequest());
    return list.ok() ? static_cast<size_t>(list->items_size()) : 999;
  }
  size_t ContainerCount() {
    auto list = Client().Runtime(&::runtime::v1::RuntimeService::Stub::ListContainers,
                                 ::runtime::v1::ListContainersRequest());
    return list.ok() ? static_cast<size_t>(list->containers_size()) : 999;
  }

  static inline fs::path* dir_ = nullptr;
  static inline PrivateContainerd* containerd_ = nullptr;
  static inline std::string* start_error_ = nullptr;
  fs::path root_;
  std::map<std::string, std::string> objects_;  // "Kind/ns/name" -> stored JSON
  std::unique_ptr<CriRuntime> runtime_;
};

inline bool Running(const PodState& s) { return s.phase == PodPhase::kRunning && s.Ready(); }

using Json = nlohmann::json;

// A stored pod's phase is Running and its Ready condition True.
inline bool PodReady(const Json& pod) {
  const Json& st = pod.value("status", Json::object());
  if (st.value("phase", "") != "Running") return false;
  for (const auto& c : st.value("conditions", Json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

// End to end: a real `gorch server` (short heartbeat TTL and node grace) on a
// free port, agents as `gorch agent --runtime cri` processes on the suite's
// containerd (StartAgent), manifests applied with `gorch apply` (Apply). Logs in
// root_/server.log and root_/agent*.log, printed when a test fails.
class CriAgentTest : public CriTest {
 protected:
  void SetUp() override {
    CriTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    fs::create_directories(root_ / "repo");
    address_ = "127.0.0.1:" + std::to_string(gorch::testing::FreePort());
    server_ = gorch::testing::Spawn({"server", "--data", (root_ / "data").string(), "--listen", address_,
                                     "--heartbeat-ttl", "2", "--node-grace", "4"},
                                    root_ / "server.log");
    engine::ClientOptions options;
    options.address = address_;
    options.timeout = 5s;
    auto c = engine::GorchClient::Connect(options);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
  }
  void TearDown() override {
    if (agent_ > 0) gorch::testing::Stop(agent_, SIGTERM);
    if (server_ > 0) gorch::testing::Stop(server_, SIGTERM);
    if (HasFailure()) {
      std::cerr << "---- agent log ----\n" << ReadFile(root_ / "agent.log") << "\n";
      std::cerr << "---- server log ----\n" << ReadFile(root_ / "server.log") << "\n";
    }
    CriTest::TearDown();
  }
  void StartAgent() { agent_ = SpawnAgent("n1", containerd_->Endpoint(), root_ / "agent"); }
  // `gorch agent` for node on the CRI socket cri, with agent_args_ appended.
  pid_t SpawnAgent(const std::string& node, const std::string& cri, const fs::path& root) {
    std::vector<std::string> args = {"agent", "--server", address_, "--node", node, "--runtime", "cri", "--cri", cri,
                                     "--root", root.string(), "--backoff-base-ms", "200"};
    args.insert(args.end(), agent_args_.begin(), agent_args_.end());
    return gorch::testing::Spawn(args, root_ / (node == "n1" ? "agent.log" : "agent-" + node + ".log"));
  }
  // Writes manifests as the repo's only file and runs `gorch apply REPO` (compile,
  // plan against the server's live state, apply); its exit code, output in *out.
  int Apply(const std::string& manifests, std::string* out) {
    std::ofstream(root_ / "repo" / "all.yaml") << manifests;
    return gorch::testing::RunCli({"apply", (root_ / "repo").string(), "--server", address_}, out);
  }
  // `gorch args... --server ADDR`; its exit code, output in *out.
  int Cli(std::vector<std::string> args, std::string* out) {
    args.push_back("--server");
    args.push_back(address_);
    return gorch::testing::RunCli(args, out);
  }
  // The pods of namespace ns, as stored objects.
  std::vector<Json> Pods(const std::string& ns = "demo") {
    v1::ListRequest req;
    req.set_kind("Pod");
    req.set_namespace_(ns);
    auto list = client_->List(req);
    std::vector<Json> out;
    if (list.ok())
      for (const auto& o : list->objects()) out.push_back(Json::parse(o.json())["object"]);
    return out;
  }
  // The status the controllers wrote for an object ({} when none).
  Json ObjectStatus(const std::string& kind, const std::string& ns, const std::string& name) {
    auto got = client_->Get(kind, ns, name);
    if (!got.ok() || got->object().status_json().empty()) return Json::object();
    return Json::parse(got->object().status_json(), nullptr, false);
  }
  // The single demo pod once it is Running and Ready.
  Json ReadyPod() {
    Json pod;
    bool ok = WaitFor([&] {
      auto pods = Pods();
      if (pods.size() != 1) return false;
      pod = pods[0];
      return PodReady(pod);
    }, 40s);
    EXPECT_TRUE(ok) << "no ready pod; last: " << pod.dump();
    return pod;
  }

  std::string address_;
  pid_t server_ = 0, agent_ = 0;
  std::vector<std::string> agent_args_;  // more `gorch agent` flags
  std::unique_ptr<engine::GorchClient> client_;
};

}  // namespace gorch::agent::testing

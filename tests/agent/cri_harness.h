// What the CRI integration tests share: a private containerd (containerd.h) in a
// temp dir with the local images imported, a CriRuntime on it with short
// backoffs, and waiting for a pod's state. Tests skip when containerd or root is
// missing.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "cri_client.h"
#include "gorch/agent/containerd.h"
#include "gorch/agent/cri_runtime.h"
#include "gorch/agent/images.h"

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
  static void SetUpTestSuite() {
    if (access("/usr/bin/containerd", X_OK) != 0 || geteuid() != 0) return;
    char tmpl[] = "/tmp/gorch-cri-XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = new fs::path(tmpl);
    ContainerdOptions o;
    o.dir = *dir_ / "ctrd";
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

}  // namespace gorch::agent::testing

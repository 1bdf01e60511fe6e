// Test harness for the controllers: a real LMDB store in a temp dir, a manual
// clock at a Unix time, a ControlPlane driven by Step(), and a simulated agent that
// marks bound pods Running/Ready (or failed) by CAS on their status.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "gorch/engine/controllers.h"
#include "gorch/store/lmdb_store.h"

namespace gorch::engine::testing {

using Json = nlohmann::json;
inline constexpr int64_t kStartMillis = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

inline std::string Iso(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class ControllersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gorch-ctrl-" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    clock_ = std::make_shared<store::ManualClock>(kStartMillis);
    store::LmdbOptions o;
    o.dir = dir_.string();
    o.sync = false;
    o.verify_on_open = false;
    auto s = store::OpenLmdbStore(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    options_.clock = clock_;
    options_.node_grace_period = std::chrono::seconds(40);
    options_.resync_period = std::chrono::milliseconds(0);
    auto cp = ControlPlane::Create(*store_, options_);
    ASSERT_TRUE(cp.ok()) << cp.status().ToString();
    cp_ = std::move(*cp);
  }
  void TearDown() override {
    cp_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Advance(int64_t ms) { clock_->Advance(std::chrono::milliseconds(ms)); }
  int64_t Now() { return clock_->NowMillis(); }

  Json Get(const std::string& key) {
    auto kv = store_->Get(key);
    EXPECT_TRUE(kv.ok());
    if (!kv.ok() || !kv->has_value()) return Json();
    return Json::parse((*kv)->value);
  }
  std::map<std::string, Json> List(const std::string& prefix) {
    std::map<std::string, Json> out;
    auto r = store_->Range(store::RangeRequest::Prefix(prefix));
    EXPECT_TRUE(r.ok());
    for (auto& kv : r->kvs) out[kv.key] = Json::parse(kv.value);
    return out;
  }
  std::set<std::string> PodNames(const std::string& ns = "default") {
    std::set<std::string> out;
    for (auto& [k, v] : List("/Pod/" + ns + "/")) out.insert(v["object"]["metadata"]["name"].get<std::string>());
    return out;
  }

  // As apply writes a desired object.
  void Apply(const std::string& kind, const std::string& ns, const std::string& name, Json object) {
    object["kind"] = kind;
    object["metadata"]["name"] = name;
    if (!ns.empty()) object["metadata"]["namespace"] = ns;
    Json env = {{"apiVersion", "v1"},
                {"managed", true},
                {"appliedHash", std::to_string(std::hash<std::string>()(object.dump()))},
                {"object", object}};
    ASSERT_TRUE(store_->Put("/" + kind + "/" + ns + "/" + name, env.dump()).ok());
  }
  void Remove(const std::string& key) { ASSERT_TRUE(store_->Delete(store::DeleteRequest::Key(key)).ok()); }

  void AddNode(const std::string& name, const std::string& cpu = "4", Json labels = Json::object()) {
    labels["kubernetes.io/hostname"] = name;
    Json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", name}, {"labels", labels}}},
                 {"status",
                  {{"allocatable", {{"cpu", cpu}, {"memory", "16Gi"}, {"pods", 110}}},
                   {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
    ASSERT_TRUE(store_->Put("/Node//" + name, Json{{"object", node}}.dump()).ok());
    ASSERT_TRUE(store_->Put("/gorch/heartbeat/" + name, "{}").ok());
  }

  // The simulated agent: bound Pending pods become Running and Ready, unless
  // fail(pod) says they stay not ready; Job pods (restartPolicy Never/OnFailure)
  // finish: Succeeded, or Failed when fail(pod). Returns how many pods it changed.
  int AgentPass() {
    int changed = 0;
    auto r = store_->Range(store::RangeRequest::Prefix("/Pod/"));
    EXPECT_TRUE(r.ok());
    for (auto& kv : r->kvs) {
      Json v = Json::parse(kv.value);
      Json& pod = v["object"];
      if (!pod["spec"].contains("nodeName") || pod["spec"]["nodeName"].get<std::string>().empty()) continue;
      const std::string phase = pod["status"].value("phase", "Pending");
      if (phase != "Pending") continue;
      const bool bad = fail_ && fail_(pod);
      const bool job = pod["spec"].value("restartPolicy", "Always") != "Always";
      if (job) {
        pod["status"]["phase"] = bad ? "Failed" : "Succeeded";
      } else {
        pod["status"]["phase"] = "Running";
        pod["status"]["conditions"] =
            Json::array({{{"type", "Ready"}, {"status", bad ? "False" : "True"}, {"lastTransitionTime", Iso(Now())}}});
      }
      store::TxnRequest txn;
      txn.compare.push_back(store::Compare::ModRevision(kv.key, store::Compare::Op::kEqual, kv.mod_revision));
      txn.success.push_back(store::Op::Put(kv.key, v.dump()));
      auto t = store_->Txn(txn);
      EXPECT_TRUE(t.ok());
      if (t.ok() && t->succeeded) ++changed;
    }
    return changed;
  }

  void Step() {
    auto n = cp_->Step();
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  // Controllers and agent until neither has anything left to do.
  void Settle() {
    for (int i = 0; i < 50; ++i) {
      Step();
      if (AgentPass() == 0) {
        Step();
        return;
      }
    }
    FAIL() << "did not settle";
  }

  std::vector<Json> Events(const std::string& reason) {
    std::vector<Json> out;
    for (auto& [k, v] : List("/Event/")) {
      if (v["object"]["reason"] == reason) out.push_back(v["object"]);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::shared_ptr<store::ManualClock> clock_;
  std::unique_ptr<store::Store> store_;
  ControlPlaneOptions options_;
  std::unique_ptr<ControlPlane> cp_;
  std::function<bool(const Json& pod)> fail_;
};

inline Json PodTemplate(const std::string& app, const std::string& image, const std::string& cpu = "100m") {
  return {{"metadata", {{"labels", {{"app", app}}}}},
          {"spec",
           {{"containers",
             Json::array({{{"name", app}, {"image", image}, {"resources", {{"requests", {{"cpu", cpu}}}}}}})}}}};
}

inline Json DeploymentObject(int replicas, const std::string& image) {
  return {{"apiVersion", "apps/v1"},
          {"metadata", {{"namespace", "default"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "web"}}}}},
            {"strategy", {{"type", "RollingUpdate"}, {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 1}}}}},
            {"progressDeadlineSeconds", 600},
            {"template", PodTemplate("web", image)}}}};
}

}  // namespace gorch::engine::testing

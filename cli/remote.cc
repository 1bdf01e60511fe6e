#include "remote.h"

#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

namespace gorch::cli {

using Json = nlohmann::json;

std::string DefaultServerAddress() {
  const char* env = std::getenv("GORCH_SERVER");
  return env && *env ? env : "127.0.0.1:7420";
}

Result<std::unique_ptr<engine::GorchClient>> ConnectServer(const std::string& address) {
  engine::ClientOptions options;
  options.address = address;
  return engine::GorchClient::Connect(options);
}

namespace {

int64_t Int(const Json& j, const char* key, int64_t fallback = 0) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : fallback;
}

bool HasCondition(const Json& status, const char* type, const char* value, const char* reason = nullptr) {
  if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) return false;
  for (const auto& c : status["conditions"]) {
    if (!c.is_object() || c.value("type", "") != type || c.value("status", "") != value) continue;
    if (!reason || c.value("reason", "") == reason) return true;
  }
  return false;
}

enum class Progress { kWaiting, kDone, kFailed };

// The workload's progress and a line describing it.
Progress Judge(const std::string& kind, const v1::Object& o, std::string* line) {
  Json env = Json::parse(o.json(), nullptr, false);
  Json status = Json::parse(o.status_json().empty() ? "{}" : o.status_json(), nullptr, false);
  const Json spec = env.is_object() && env.contains("object") ? env["object"].value("spec", Json::object()) : Json();
  const int64_t desired = Int(spec, "replicas", 1);
  if (kind == "Deployment") {
    std::string applied = env.is_object() ? env.value("appliedHash", "") : "";
    bool current = status.is_object() && status.value("observedAppliedHash", "") == applied;
    int64_t updated = Int(status, "updatedReplicas"), available = Int(status, "availableReplicas");
    *line = std::to_string(available) + "/" + std::to_string(desired) + " available, " + std::to_string(updated) +
            " up to date";
    const Json& rollout = status.is_object() ? status.value("rollout", Json::object()) : Json::object();
    if (current && rollout.is_object() && Int(rollout, "waves") > 0 &&
        rollout.value("templateHash", "") == status.value("currentTemplateHash", ""))
      *line += ", wave " + std::to_string(Int(rollout, "wave")) + "/" + std::to_string(Int(rollout, "waves"));
    if (HasCondition(status, "Progressing", "False", "ProgressDeadlineExceeded") ||
        (status.is_object() && status.contains("rolledBack")))
      return Progress::kFailed;
    if (current && updated == desired && available >= desired && Int(status, "replicas") == desired)
      return Progress::kDone;
  } else if (kind == "StatefulSet") {
    int64_t ready = Int(status, "readyReplicas"), updated = Int(status, "updatedReplicas");
    *line = std::to_string(ready) + "/" + std::to_string(desired) + " ready, " + std::to_string(updated) + " up to date";
    if (ready == desired && updated == desired && Int(status, "replicas") == desired) return Progress::kDone;
  } else if (kind == "DaemonSet") {
    int64_t want = Int(status, "desiredNumberScheduled", -1), ready = Int(status, "numberReady");
    *line = std::to_string(ready) + "/" + (want < 0 ? "?" : std::to_string(want)) + " ready";
    if (want >= 0 && ready == want && Int(status, "updatedNumberScheduled") == want) return Progress::kDone;
  } else if (kind == "Job") {
    *line = std::to_string(Int(status, "succeeded")) + "/" + std::to_string(Int(spec, "completions", 1)) +
            " succeeded, " + std::to_string(Int(status, "failed")) + " failed";
    if (HasCondition(status, "Failed", "True")) return Progress::kFailed;
    if (HasCondition(status, "Complete", "True")) return Progress::kDone;
  }
  return Progress::kWaiting;
}

}  // namespace

Status WaitForWorkloads(engine::GorchClient& client, const std::vector<compiler::ResourceId>& workloads,
                        std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> last_line;
  std::vector<compiler::ResourceId> pending;
  for (const auto& id : workloads)
    if (id.kind == "Deployment" || id.kind == "StatefulSet" || id.kind == "DaemonSet" || id.kind == "Job")
      pending.push_back(id);
  std::vector<std::string> failed;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pending.empty()) {
    std::vector<compiler::ResourceId> still;
    for (const auto& id : pending) {
      auto got = client.Get(id.kind, id.namespace_, id.name);
      if (!got.ok()) {
        if (got.status().IsUnavailable()) return got.status();
        still.push_back(id);  // not there yet
        continue;
      }
      std::string line;
      Progress p = Progress::kWaiting;
      try {
        p = Judge(id.kind, got->object(), &line);
      } catch (const std::exception& e) {
        line = std::string("unreadable status: ") + e.what();
      }
      std::string name = id.ToString();
      if (last_line[name] != line) {
        std::cout << name << ": " << line << "\n" << std::flush;
        last_line[name] = line;
      }
      if (p == Progress::kFailed) {
        std::cout << name << ": rollout failed\n";
        failed.push_back(name);
      } else if (p == Progress::kDone) {
        std::cout << name << ": rolled out\n";
      } else {
        still.push_back(id);
      }
    }
    pending = std::move(still);
    if (pending.empty()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      std::string names;
      for (const auto& id : pending) names += (names.empty() ? "" : ", ") + id.ToString();
      return Status::Unavailable("timed out waiting for " + names);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (!failed.empty()) {
    std::string names;
    for (const auto& n : failed) names += (names.empty() ? "" : ", ") + n;
    return Status::FailedPrecondition("rollout failed: " + names);
  }
  return Status::Ok();
}

}  // namespace gorch::cli

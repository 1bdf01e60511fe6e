#include "pod_convert.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace gorch::agent {

using Json = nlohmann::ordered_json;

namespace {

std::string Str(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::vector<std::string> Strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& s : j[key])
    if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

std::map<std::string, std::string> StringMap(const Json& j, const char* key) {
  std::map<std::string, std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_object()) return out;
  for (auto it = j[key].begin(); it != j[key].end(); ++it)
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  return out;
}

std::vector<ContainerSpec> Containers(const Json& spec, const char* key) {
  std::vector<ContainerSpec> out;
  if (!spec.contains(key) || !spec[key].is_array()) return out;
  for (const auto& c : spec[key]) {
    ContainerSpec cs;
    cs.name = Str(c, "name");
    cs.image = Str(c, "image");
    cs.command = Strings(c, "command");
    cs.args = Strings(c, "args");
    if (c.contains("env") && c["env"].is_array())
      for (const auto& e : c["env"])
        if (e.contains("value") && e["value"].is_string()) cs.env.emplace_back(Str(e, "name"), Str(e, "value"));
    out.push_back(std::move(cs));
  }
  return out;
}

}  // namespace

std::string Rfc3339(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<PodSpec> PodSpecFromStore(const std::string& ns, const std::string& name, int64_t create_revision,
                                 const std::string& store_value, std::string* stored_phase) {
  Json doc = Json::parse(store_value, nullptr, false);
  if (!doc.is_object() || !doc.contains("object") || !doc["object"].is_object())
    return Status::InvalidArgument("pod " + ns + "/" + name + ": the stored value is not an object envelope");
  const Json& obj = doc["object"];
  const Json& meta = obj.contains("metadata") ? obj["metadata"] : Json::object();
  const Json& spec = obj.contains("spec") ? obj["spec"] : Json::object();
  PodSpec out;
  out.namespace_ = ns;
  out.name = name;
  out.uid = Str(meta, "uid");
  if (out.uid.empty()) out.uid = ns + "/" + name + "@" + std::to_string(create_revision);
  out.labels = StringMap(meta, "labels");
  out.annotations = StringMap(meta, "annotations");
  if (spec.is_object()) {
    out.containers = Containers(spec, "containers");
    out.init_containers = Containers(spec, "initContainers");
    std::string policy = Str(spec, "restartPolicy");
    if (!policy.empty()) out.restart_policy = policy;
    out.spec_json = spec.dump();
  }
  if (stored_phase) {
    stored_phase->clear();
    if (obj.contains("status")) *stored_phase = Str(obj["status"], "phase");
  }
  return out;
}

std::string PodStatusJson(const PodState& state, const std::string& host_ip) {
  const bool ready = state.Ready();
  Json status = Json::object();
  status["phase"] = std::string(PodPhaseName(state.phase));
  const char* ready_text = ready ? "True" : "False";
  status["conditions"] = Json::array({{{"type", "Ready"}, {"status", ready_text}},
                                      {{"type", "ContainersReady"}, {"status", ready_text}}});
  Json containers = Json::array();
  for (const auto& c : state.containers) {
    Json cs = {{"name", c.name}, {"image", c.image}, {"ready", c.ready}, {"restartCount", c.restart_count}};
    switch (c.state) {
      case ContainerState::kWaiting:
        cs["state"] = {{"waiting", {{"reason", c.reason.empty() ? "ContainerCreating" : c.reason}}}};
        break;
      case ContainerState::kRunning: cs["state"] = {{"running", {{"startedAt", Rfc3339(c.started_at_ms)}}}}; break;
      case ContainerState::kExited:
        cs["state"] = {{"terminated",
                        {{"exitCode", c.exit_code},
                         {"reason", c.reason},
                         {"startedAt", Rfc3339(c.started_at_ms)},
                         {"finishedAt", Rfc3339(c.finished_at_ms)}}}};
        break;
    }
    containers.push_back(std::move(cs));
  }
  status["containerStatuses"] = std::move(containers);
  if (!state.pod_ip.empty()) status["podIP"] = state.pod_ip;
  if (!host_ip.empty()) status["hostIP"] = host_ip;
  if (state.started_at_ms > 0) status["startTime"] = Rfc3339(state.started_at_ms);
  if (!state.reason.empty()) status["reason"] = state.reason;
  if (!state.message.empty()) status["message"] = state.message;
  return status.dump();
}

}  // namespace gorch::agent

#include "pod_convert.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
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

bool Bool(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

int64_t Int(const Json& j, const char* key, int64_t fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : fallback;
}

const Json& Field(const Json& j, const char* key) {
  static const Json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

// A quantity's text ("100m", "0.5", 2, "64Mi") as a string, or "" when absent.
std::string QuantityText(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number()) return j.dump();
  return "";
}

// A port given as a number or as the name of one of the container's ports.
int32_t PortOf(const Json& j, const std::vector<ContainerPort>& ports) {
  if (j.is_number_integer()) return j.get<int32_t>();
  if (j.is_string()) {
    for (const auto& p : ports)
      if (p.name == j.get<std::string>()) return p.container_port;
    std::string text = j.get<std::string>();
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoi(text);
  }
  return 0;
}

std::optional<Probe> ProbeOf(const Json& j, const std::vector<ContainerPort>& ports) {
  if (!j.is_object()) return std::nullopt;
  Probe p;
  if (j.contains("exec")) {
    p.kind = Probe::Kind::kExec;
    p.command = Strings(j["exec"], "command");
  } else if (j.contains("httpGet")) {
    const Json& h = j["httpGet"];
    p.kind = Probe::Kind::kHttpGet;
    p.host = Str(h, "host");
    p.port = PortOf(Field(h, "port"), ports);
    if (!Str(h, "path").empty()) p.path = Str(h, "path");
    if (!Str(h, "scheme").empty()) p.scheme = Str(h, "scheme");
  } else if (j.contains("tcpSocket")) {
    p.kind = Probe::Kind::kTcpSocket;
    p.host = Str(j["tcpSocket"], "host");
    p.port = PortOf(Field(j["tcpSocket"], "port"), ports);
  } else {
    return std::nullopt;
  }
  p.initial_delay_seconds = static_cast<int32_t>(Int(j, "initialDelaySeconds", 0));
  p.period_seconds = static_cast<int32_t>(std::max<int64_t>(Int(j, "periodSeconds", 10), 1));
  p.timeout_seconds = static_cast<int32_t>(std::max<int64_t>(Int(j, "timeoutSeconds", 1), 1));
  p.success_threshold = static_cast<int32_t>(std::max<int64_t>(Int(j, "successThreshold", 1), 1));
  p.failure_threshold = static_cast<int32_t>(std::max<int64_t>(Int(j, "failureThreshold", 3), 1));
  return p;
}

void EnvOf(const Json& c, ContainerSpec& cs) {
  for (const auto& e : Field(c, "env").is_array() ? c["env"] : Json::array()) {
    if (e.contains("value") && e["value"].is_string()) {
      cs.env.emplace_back(Str(e, "name"), Str(e, "value"));
    } else if (e.contains("valueFrom") && e["valueFrom"].is_object()) {
      const Json& from = e["valueFrom"];
      EnvRef ref;
      ref.name = Str(e, "name");
      const char* kinds[][2] = {{"configMapKeyRef", "ConfigMap"}, {"secretKeyRef", "Secret"}};
      for (const auto& [field, kind] : kinds) {
        if (!from.contains(field)) continue;
        ref.source = {kind, Str(from[field], "name"), Str(from[field], "key"), Bool(from[field], "optional")};
        cs.env_refs.push_back(ref);
      }
    } else if (e.contains("name")) {
      cs.env.emplace_back(Str(e, "name"), "");
    }
  }
  for (const auto& e : Field(c, "envFrom").is_array() ? c["envFrom"] : Json::array()) {
    const char* kinds[][2] = {{"configMapRef", "ConfigMap"}, {"secretRef", "Secret"}};
    for (const auto& [field, kind] : kinds)
      if (e.contains(field))
        cs.env_from.push_back({kind, Str(e[field], "name"), Str(e, "prefix"), Bool(e[field], "optional")});
  }
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
    cs.working_dir = Str(c, "workingDir");
    EnvOf(c, cs);
    for (const auto& p : Field(c, "ports").is_array() ? c["ports"] : Json::array()) {
      ContainerPort port;
      port.name = Str(p, "name");
      port.container_port = static_cast<int32_t>(Int(p, "containerPort", 0));
      port.host_port = static_cast<int32_t>(Int(p, "hostPort", 0));
      if (!Str(p, "protocol").empty()) port.protocol = Str(p, "protocol");
      cs.ports.push_back(std::move(port));
    }
    for (const auto& m : Field(c, "volumeMounts").is_array() ? c["volumeMounts"] : Json::array())
      cs.volume_mounts.push_back({Str(m, "name"), Str(m, "mountPath"), Str(m, "subPath"), Bool(m, "readOnly")});
    const Json& resources = Field(c, "resources");
    cs.cpu_limit_millis = ParseCpuMillis(QuantityText(Field(Field(resources, "limits"), "cpu"))).value_or(0);
    cs.cpu_request_millis = ParseCpuMillis(QuantityText(Field(Field(resources, "requests"), "cpu"))).value_or(0);
    cs.memory_limit_bytes = ParseMemoryBytes(QuantityText(Field(Field(resources, "limits"), "memory"))).value_or(0);
    cs.liveness = ProbeOf(Field(c, "livenessProbe"), cs.ports);
    cs.readiness = ProbeOf(Field(c, "readinessProbe"), cs.ports);
    cs.startup = ProbeOf(Field(c, "startupProbe"), cs.ports);
    out.push_back(std::move(cs));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Items(const Json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& i : Field(j, "items").is_array() ? j["items"] : Json::array())
    out.emplace_back(Str(i, "key"), Str(i, "path"));
  return out;
}

std::vector<Volume> Volumes(const Json& spec) {
  std::vector<Volume> out;
  for (const auto& v : Field(spec, "volumes").is_array() ? spec["volumes"] : Json::array()) {
    Volume vol;
    vol.name = Str(v, "name");
    if (v.contains("hostPath")) {
      vol.kind = Volume::Kind::kHostPath;
      vol.source = Str(v["hostPath"], "path");
      vol.host_path_type = Str(v["hostPath"], "type");
    } else if (v.contains("configMap")) {
      vol.kind = Volume::Kind::kConfigMap;
      vol.source = Str(v["configMap"], "name");
      vol.items = Items(v["configMap"]);
      vol.default_mode = static_cast<int32_t>(Int(v["configMap"], "defaultMode", -1));
      vol.optional = Bool(v["configMap"], "optional");
    } else if (v.contains("secret")) {
      vol.kind = Volume::Kind::kSecret;
      vol.source = Str(v["secret"], "secretName");
      vol.items = Items(v["secret"]);
      vol.default_mode = static_cast<int32_t>(Int(v["secret"], "defaultMode", -1));
      vol.optional = Bool(v["secret"], "optional");
    } else if (v.contains("persistentVolumeClaim")) {
      vol.kind = Volume::Kind::kPersistentVolumeClaim;
      vol.source = Str(v["persistentVolumeClaim"], "claimName");
      vol.read_only = Bool(v["persistentVolumeClaim"], "readOnly");
    } else {
      vol.kind = Volume::Kind::kEmptyDir;  // emptyDir, and kinds this node does not know
    }
    out.push_back(std::move(vol));
  }
  return out;
}

}  // namespace

namespace {

// Splits "1.5Gi" into 1.5 and "Gi"; nullopt when the number part is malformed.
std::optional<std::pair<double, std::string>> SplitQuantity(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                               (end == 0 && (text[end] == '+' || text[end] == '-'))))
    ++end;
  if (end == 0) return std::nullopt;
  std::string number(text.substr(0, end));
  char* parse_end = nullptr;
  double value = std::strtod(number.c_str(), &parse_end);
  if (parse_end != number.c_str() + number.size() || value < 0) return std::nullopt;
  return std::make_pair(value, std::string(text.substr(end)));
}

}  // namespace

std::optional<int64_t> ParseCpuMillis(std::string_view text) {
  if (text.empty()) return std::nullopt;
  auto q = SplitQuantity(text);
  if (!q) return std::nullopt;
  if (q->second == "m") return static_cast<int64_t>(std::llround(q->first));
  if (q->second.empty()) return static_cast<int64_t>(std::llround(q->first * 1000));
  return std::nullopt;
}

std::optional<int64_t> ParseMemoryBytes(std::string_view text) {
  if (text.empty()) return std::nullopt;
  auto q = SplitQuantity(text);
  if (!q) return std::nullopt;
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},       {"k", 1e3},          {"K", 1e3},          {"M", 1e6},          {"G", 1e9},
      {"T", 1e12},   {"Ki", 1024.0},      {"Mi", 1048576.0},   {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"m", 1e-3}};
  for (const auto& [suffix, factor] : kUnits)
    if (q->second == suffix) return static_cast<int64_t>(std::llround(q->first * factor));
  return std::nullopt;
}

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
    out.volumes = Volumes(spec);
    out.host_network = Bool(spec, "hostNetwork");
    out.hostname = Str(spec, "hostname");
    out.termination_grace_seconds = Int(spec, "terminationGracePeriodSeconds", -1);
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
      case ContainerState::kWaiting: {
        Json waiting = {{"reason", c.reason.empty() ? "ContainerCreating" : c.reason}};
        if (!c.message.empty()) waiting["message"] = c.message;
        cs["state"] = {{"waiting", std::move(waiting)}};
        break;
      }
      case ContainerState::kRunning: cs["state"] = {{"running", {{"startedAt", Rfc3339(c.started_at_ms)}}}}; break;
      case ContainerState::kExited:
        cs["state"] = {{"terminated",
                        {{"exitCode", c.exit_code},
                         {"reason", c.reason},
                         {"startedAt", Rfc3339(c.started_at_ms)},
                         {"finishedAt", Rfc3339(c.finished_at_ms)}}}};
        break;
    }
    if (c.has_last)
      cs["lastState"] = {{"terminated",
                          {{"exitCode", c.last_exit_code},
                           {"reason", c.last_reason},
                           {"startedAt", Rfc3339(c.last_started_at_ms)},
                           {"finishedAt", Rfc3339(c.last_finished_at_ms)}}}};
    if (!c.container_id.empty()) cs["containerID"] = c.container_id;
    containers.push_back(std::move(cs));
  }
  status["containerStatuses"] = std::move(containers);
  if (!state.pod_ip.empty()) status["podIP"] = state.pod_ip;
  if (!host_ip.empty()) status["hostIP"] = host_ip;
  if (state.started_at_ms > 0) status["startTime"] = Rfc3339(state.started_at_ms);
  if (!state.reason.empty()) status["reason"] = state.reason;
  if (!state.message.empty()) status["message"] = state.message;
  // The runtime updates usage only when it really moved, so that it does not
  // cause a status write every time it is read.
  if (state.cpu_nano_cores >= 0 || state.memory_working_set_bytes >= 0) {
    Json usage = Json::object();
    if (state.cpu_nano_cores >= 0) usage["cpu"] = std::to_string(state.cpu_nano_cores / 1'000'000) + "m";
    if (state.memory_working_set_bytes >= 0)
      usage["memory"] = std::to_string(state.memory_working_set_bytes >> 10) + "Ki";
    status["usage"] = std::move(usage);
  }
  return status.dump();
}

}  // namespace gorch::agent

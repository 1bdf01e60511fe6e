#include "output.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>

namespace gorch::cli {

namespace {

struct Alias {
  const char* names;  // space-separated
  KindInfo info;
};

const std::vector<Alias>& Aliases() {
  static const std::vector<Alias> aliases = {
      {"pod pods po", {"Pod", true}},
      {"deployment deployments deploy", {"Deployment", true}},
      {"replicaset replicasets rs", {"ReplicaSet", true}},
      {"statefulset statefulsets sts", {"StatefulSet", true}},
      {"daemonset daemonsets ds", {"DaemonSet", true}},
      {"job jobs", {"Job", true}},
      {"cronjob cronjobs cj", {"CronJob", true}},
      {"service services svc", {"Service", true}},
      {"ingress ingresses ing", {"Ingress", true}},
      {"configmap configmaps cm", {"ConfigMap", true}},
      {"secret secrets", {"Secret", true}},
      {"persistentvolumeclaim persistentvolumeclaims pvc", {"PersistentVolumeClaim", true}},
      {"horizontalpodautoscaler horizontalpodautoscalers hpa", {"HorizontalPodAutoscaler", true}},
      {"poddisruptionbudget poddisruptionbudgets pdb", {"PodDisruptionBudget", true}},
      {"serviceaccount serviceaccounts sa", {"ServiceAccount", true}},
      {"event events ev", {"Event", true}},
      {"node nodes no", {"Node", false}},
      {"namespace namespaces ns", {"Namespace", false}},
  };
  return aliases;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::optional<KindInfo> ResolveKind(const std::string& name) {
  std::string want = Lower(name);
  for (const auto& a : Aliases()) {
    std::string names = std::string(" ") + a.names + " ";
    if (names.find(" " + want + " ") != std::string::npos) return a.info;
  }
  return std::nullopt;
}

std::string KnownKinds() {
  std::string out;
  for (const auto& a : Aliases()) out += (out.empty() ? "" : ", ") + Lower(a.info.kind) + "s";
  return out;
}

OJson ObjectOf(const v1::Object& o) {
  OJson env = OJson::parse(o.json(), nullptr, false);
  if (!env.is_object()) return OJson();
  OJson obj = env.contains("object") ? env["object"] : env;
  if (!o.status_json().empty()) {
    OJson status = OJson::parse(o.status_json(), nullptr, false);
    if (status.is_object() && obj.is_object()) obj["status"] = status;
  }
  return obj;
}

const OJson& At(const OJson& j, std::initializer_list<const char*> path) {
  static const OJson null_json;
  const OJson* cur = &j;
  for (const char* step : path) {
    if (!cur->is_object() || !cur->contains(step)) return null_json;
    cur = &(*cur)[step];
  }
  return *cur;
}

std::string StrAt(const OJson& j, std::initializer_list<const char*> path, const std::string& fallback) {
  const OJson& v = At(j, path);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return fallback;
}

int64_t IntAt(const OJson& j, std::initializer_list<const char*> path, int64_t fallback) {
  const OJson& v = At(j, path);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

std::string Age(const std::string& rfc3339) {
  std::tm tm{};
  if (rfc3339.size() < 19 || !strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return "<unknown>";
  int64_t then = timegm(&tm);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t s = std::max<int64_t>(0, now - then);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 3, ' ');
    }
    std::cout << line << "\n";
  }
}

namespace {

bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* words[] = {"true", "false", "null", "yes", "no", "on", "off", "~"};
  for (const char* w : words)
    if (Lower(s) == w) return true;
  if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '.' || s[0] == '+') return true;
  if (std::isspace(static_cast<unsigned char>(s.front())) || std::isspace(static_cast<unsigned char>(s.back())))
    return true;
  return s.find_first_of(":#{}[],&*!|>'\"%@`\n\t") != std::string::npos;
}

std::string Scalar(const OJson& j) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    return NeedsQuotes(s) ? OJson(s).dump() : s;
  }
  return j.dump();
}

bool IsEmptyContainer(const OJson& j) { return (j.is_object() || j.is_array()) && j.empty(); }

}  // namespace

std::string ToYaml(const OJson& j, int indent) {
  std::string pad(indent, ' ');
  std::string out;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const OJson& v = it.value();
      std::string key = NeedsQuotes(it.key()) ? OJson(it.key()).dump() : it.key();
      if ((v.is_object() || v.is_array()) && !IsEmptyContainer(v))
        out += pad + key + ":\n" + ToYaml(v, v.is_array() ? indent : indent + 2);
      else
        out += pad + key + ": " + (IsEmptyContainer(v) ? (v.is_object() ? "{}" : "[]") : Scalar(v)) + "\n";
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if ((v.is_object() || v.is_array()) && !IsEmptyContainer(v)) {
        std::string inner = ToYaml(v, indent + 2);
        out += pad + "- " + inner.substr(indent + 2);  // first line joins the dash
      } else {
        out += pad + "- " + (IsEmptyContainer(v) ? (v.is_object() ? "{}" : "[]") : Scalar(v)) + "\n";
      }
    }
  } else {
    out += pad + Scalar(j) + "\n";
  }
  return out;
}

}  // namespace gorch::cli

#include "gorch/planner/workload_pods.h"

#include <algorithm>
#include <cstdio>

namespace gorch::planner {

using lang::Value;

const Value* PodTemplate(const compiler::Resource& r) {
  const std::string& k = r.id.kind;
  if (k == "Pod") return &r.object;
  if (k == "Deployment" || k == "ReplicaSet" || k == "StatefulSet" || k == "DaemonSet" || k == "Job")
    return r.object.FindPath("spec.template");
  return nullptr;
}

std::string TemplateHash(const Value& pod_template) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : pod_template.ToCanonicalJson()) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::string(buf, 10);
}

namespace {

int64_t IntAt(const Value& v, std::string_view path, int64_t dflt) {
  const Value* f = v.FindPath(path);
  return f && f->is_int() ? f->as_int() : dflt;
}

}  // namespace

std::vector<std::string> DesiredPodNames(const compiler::Resource& r) {
  std::vector<std::string> names;
  const std::string& k = r.id.kind;
  const Value* tmpl = PodTemplate(r);
  if (!tmpl) return names;
  if (k == "Pod") {
    names.push_back(r.id.name);
  } else if (k == "Deployment" || k == "ReplicaSet") {
    int64_t n = IntAt(r.object, "spec.replicas", 1);
    std::string hash = TemplateHash(*tmpl);
    for (int64_t i = 0; i < n; ++i) names.push_back(r.id.name + "-" + hash + "-" + std::to_string(i + 1));
  } else if (k == "StatefulSet") {
    int64_t n = IntAt(r.object, "spec.replicas", 1);
    for (int64_t i = 0; i < n; ++i) names.push_back(r.id.name + "-" + std::to_string(i));
  } else if (k == "Job") {
    int64_t parallelism = IntAt(r.object, "spec.parallelism", 1);
    int64_t completions = IntAt(r.object, "spec.completions", parallelism);
    for (int64_t i = 0; i < std::min(parallelism, completions); ++i)
      names.push_back(r.id.name + "-" + std::to_string(i + 1));
  }
  return names;
}

Result<PodRequest> PodRequestFor(const compiler::Resource& r, const std::string& pod_name) {
  const Value* tmpl = PodTemplate(r);
  if (!tmpl) return Status::InvalidArgument(r.id.ToString() + " has no pod template");
  LabelMap labels;
  if (const Value* l = tmpl->FindPath("metadata.labels"); l && l->is_map())
    for (const auto& [k, v] : l->as_map()) labels[k] = v.is_string() ? v.as_string() : v.ToJson();
  static const Value kEmpty = Value::MakeMap();
  const Value* spec = tmpl->Find("spec");
  return PodRequestFromSpec(spec ? *spec : kEmpty, r.id.namespace_, pod_name, std::move(labels));
}

}  // namespace gorch::planner

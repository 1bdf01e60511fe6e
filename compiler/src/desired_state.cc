#include "gorch/compiler/desired_state.h"

#include <algorithm>

namespace gorch::compiler {

std::string ResourceId::ToString() const { return kind + "/" + namespace_ + "/" + name; }
std::string ResourceId::StoreKey() const { return "/" + ToString(); }

std::string_view EdgeKindName(EdgeKind k) {
  switch (k) {
    case EdgeKind::kSelects: return "selects";
    case EdgeKind::kUses: return "uses";
    case EdgeKind::kBackend: return "backend";
    case EdgeKind::kTarget: return "target";
    case EdgeKind::kGoverns: return "governs";
    case EdgeKind::kInNamespace: return "in-namespace";
  }
  return "uses";
}

const Resource* DesiredState::Find(const ResourceId& id) const {
  auto it = std::lower_bound(resources.begin(), resources.end(), id,
                             [](const Resource& r, const ResourceId& key) { return r.id < key; });
  if (it == resources.end() || it->id != id) return nullptr;
  return &*it;
}

namespace {

std::string Quote(std::string_view s) {
  // Reuse Value's JSON string escaping.
  return lang::Value::String(std::string(s)).ToJson();
}

// Paths of values that defaulting filled in, outermost only ("spec.replicas").
void CollectDefaulted(const lang::Value& v, const std::string& path, std::vector<std::string>& out) {
  if (v.defaulted()) {
    out.push_back(path);
    return;
  }
  if (v.is_map()) {
    for (const auto& [k, child] : v.as_map())
      CollectDefaulted(child, path.empty() ? k : path + "." + k, out);
  } else if (v.is_list()) {
    const auto& l = v.as_list();
    for (size_t i = 0; i < l.size(); ++i)
      CollectDefaulted(l[i], path + "[" + std::to_string(i) + "]", out);
  }
}

}  // namespace

std::vector<std::string> DefaultedPaths(const lang::Value& object) {
  std::vector<std::string> out;
  CollectDefaulted(object, "", out);
  return out;
}

std::string DesiredState::ToJson() const {
  std::string out;
  out.reserve(resources.size() * 1024);
  out += "{\"formatVersion\":1,\"source\":" + Quote(source) + ",\"commit\":" + Quote(commit) +
         ",\"hash\":" + Quote(hash) + ",\"resources\":[";
  for (size_t i = 0; i < resources.size(); ++i) {
    const Resource& r = resources[i];
    if (i) out += ',';
    out += "{\"kind\":" + Quote(r.id.kind) + ",\"namespace\":" + Quote(r.id.namespace_) +
           ",\"name\":" + Quote(r.id.name) + ",\"apiVersion\":" + Quote(r.api_version) +
           ",\"source\":" + Quote(r.pos.ToString()) + ",\"runs\":" + (r.runs ? "true" : "false") +
           ",\"hash\":" + Quote(r.content_hash) + ",\"defaulted\":[";
    auto defaulted = DefaultedPaths(r.object);
    for (size_t j = 0; j < defaulted.size(); ++j) {
      if (j) out += ',';
      out += Quote(defaulted[j]);
    }
    out += "],\"object\":" + r.object.ToJson() + "}";
  }
  out += "],\"edges\":[";
  for (size_t i = 0; i < edges.size(); ++i) {
    const Edge& e = edges[i];
    if (i) out += ',';
    out += "{\"from\":" + Quote(resources[e.from].id.ToString()) +
           ",\"to\":" + Quote(resources[e.to].id.ToString()) +
           ",\"kind\":" + Quote(EdgeKindName(e.kind)) + ",\"field\":" + Quote(e.field_path) + "}";
  }
  out += "],\"order\":[";
  for (size_t i = 0; i < order.size(); ++i) {
    if (i) out += ',';
    out += Quote(resources[order[i]].id.ToString());
  }
  out += "]}";
  return out;
}

}  // namespace gorch::compiler
